import { describe, expect, it } from 'vitest';
import { geminiEnv } from './gemini-env.js';

describe('geminiEnv', () => {
  it('passes Gemini credentials and provider switches only, and forces the guards', () => {
    const env = geminiEnv(
      {
        GEMINI_API_KEY: 'k',
        GOOGLE_GENAI_USE_VERTEXAI: 'true',
        GOOGLE_CLOUD_PROJECT: 'p',
        ANTHROPIC_API_KEY: 'other-agent',
        COORD_TOKEN: 'runner',
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
      },
      { GEMINI_CLI_TRUST_WORKSPACE: 'true', GEMINI_CLI_SYSTEM_SETTINGS_PATH: '/evil', FOO: 'bar' },
    );
    expect(env).toEqual({
      GEMINI_API_KEY: 'k',
      GOOGLE_GENAI_USE_VERTEXAI: 'true',
      GOOGLE_CLOUD_PROJECT: 'p',
      FOO: 'bar',
      GEMINI_CLI_TRUST_WORKSPACE: 'false',
      GEMINI_CLI_NO_RELAUNCH: 'true',
    });
  });
});
