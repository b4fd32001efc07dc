import { describe, expect, it } from 'vitest';
import { geminiAuthType, geminiEnv } from './gemini-env.js';

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
      '/run/defaults.json',
    );
    expect(env).toEqual({
      GEMINI_API_KEY: 'k',
      GOOGLE_GENAI_USE_VERTEXAI: 'true',
      GOOGLE_CLOUD_PROJECT: 'p',
      FOO: 'bar',
      GEMINI_CLI_TRUST_WORKSPACE: 'false',
      GEMINI_CLI_NO_RELAUNCH: 'true',
      GEMINI_CLI_SYSTEM_DEFAULTS_PATH: '/run/defaults.json',
    });
  });

  it('names the auth type for configured credentials, else leaves the person’s own sign-in', () => {
    expect(geminiAuthType({ GEMINI_API_KEY: 'k' })).toBe('gemini-api-key');
    expect(geminiAuthType({ GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_API_KEY: 'k' })).toBe('vertex-ai');
    expect(geminiAuthType({})).toBeNull();
  });
});
