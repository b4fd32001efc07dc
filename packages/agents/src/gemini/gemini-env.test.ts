import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { geminiEnv, withoutRepositoryAuth } from './gemini-env.js';

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

describe('withoutRepositoryAuth', () => {
  it("blanks unset auth variables when a repository brings a .env, and leaves the runner's own", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'coord-gemini-env-'));
    try {
      expect(withoutRepositoryAuth({ GEMINI_API_KEY: 'runner' }, dir, '/home/u')).toEqual({
        GEMINI_API_KEY: 'runner',
      });
      await writeFile(path.join(dir, '.env'), 'GEMINI_API_KEY=repo\n');
      expect(withoutRepositoryAuth({ GEMINI_API_KEY: 'runner' }, dir, '/home/u')).toEqual({
        GEMINI_API_KEY: 'runner',
        GOOGLE_API_KEY: '',
        GOOGLE_CLOUD_PROJECT: '',
        GOOGLE_CLOUD_LOCATION: '',
      });
      // The person's own ~/.env is theirs: it does not count.
      expect(withoutRepositoryAuth({}, dir, dir)).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
