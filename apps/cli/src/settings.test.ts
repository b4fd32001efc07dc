import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from './exit-codes.js';
import { applyAgentSettings, getSetting, isSecretSetting, setSetting } from './settings.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cr-settings-'));
  dirs.push(dir);
  return dir;
}
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

/** The error `run` throws, for its message and hint. */
function refusal(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('base URL settings', () => {
  it('are plain settings: kept in config.json and shown in full', () => {
    const dir = stateDir();
    expect(isSecretSetting('openai.baseUrl')).toBe(false);
    const view = setSetting(dir, 'openai.baseUrl', ' https://llm-proxy.example.com/v1?api-version=2025-01 ');
    expect(view).toMatchObject({
      value: 'https://llm-proxy.example.com/v1?api-version=2025-01',
      secret: false,
    });
    expect(JSON.parse(read(dir, 'config.json'))).toEqual({
      openai: { baseUrl: 'https://llm-proxy.example.com/v1?api-version=2025-01' },
    });
    setSetting(dir, 'openai.baseUrl', null);
    expect(getSetting(dir, 'openai.baseUrl').value).toBeNull();
  });

  it.each([
    ['a user and password', 'https://me:sk-proxy-secret-123456@llm.example.com'],
    ['a key in the query', 'https://llm.example.com/v1?api_key=sk-proxy-secret-123456'],
    ['a token in the query', 'https://llm.example.com/v1?access_token=sk-proxy-secret-123456'],
    ['a key pasted in place of the URL', 'sk-proxy-secret-123456'],
    ['another scheme', 'file:///etc/sk-proxy-secret-123456'],
  ])('refuses %s, without echoing it', (_, value) => {
    const dir = stateDir();
    const error = refusal(() => setSetting(dir, 'anthropic.baseUrl', value));
    expect(error.exitCode).toBe(2);
    expect(`${error.message} ${error.hint ?? ''}`).not.toContain('sk-proxy-secret');
    expect(getSetting(dir, 'anthropic.baseUrl').value).toBeNull();
  });

  it('tells a credential parameter by its whole name', () => {
    const dir = stateDir();
    for (const url of ['https://gw.example.com/?apikey=x', 'https://gw.example.com/?X-Api-Key=x'])
      expect(() => setSetting(dir, 'openai.baseUrl', url), url).toThrow(CliError);
    const fine = 'https://gw.example.com/v1?api-version=2025-01&design=a&author=b&region=eu';
    expect(setSetting(dir, 'openai.baseUrl', fine).value).toBe(fine);
  });

  it('a credential in the URL points to the key setting', () => {
    const error = refusal(() => setSetting(stateDir(), 'gemini.baseUrl', 'https://u:p@gw.example.com'));
    expect(error.message).toContain('must not carry a credential');
    expect(error.hint).toContain('coord-runner config set gemini.apiKey');
  });

  it('hands keys and URLs to the agents at start; the environment wins', () => {
    const dir = stateDir();
    setSetting(dir, 'anthropic.baseUrl', 'http://127.0.0.1:9/anthropic');
    setSetting(dir, 'anthropic.apiKey', 'sk-ant-key-0123456789');
    setSetting(dir, 'openai.baseUrl', 'https://proxy.example.com/v1');
    const env: NodeJS.ProcessEnv = { OPENAI_BASE_URL: 'https://mine.example.com/v1' };
    applyAgentSettings(dir, env);
    expect(env).toEqual({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/anthropic',
      ANTHROPIC_API_KEY: 'sk-ant-key-0123456789',
      OPENAI_BASE_URL: 'https://mine.example.com/v1',
    });
  });

  it('reads a URL an older version kept as a secret, and moves it once set again', () => {
    const dir = stateDir();
    writeFileSync(
      join(dir, 'agent-secrets.json'),
      JSON.stringify({
        'openai.baseUrl': 'https://old-proxy.example.com/v1',
        'anthropic.baseUrl': 'https://me:hunter2-password@old.example.com',
        'openai.apiKey': 'sk-openai-key-0123456789',
      }),
    );
    expect(getSetting(dir, 'openai.baseUrl').value).toBe('https://old-proxy.example.com/v1');
    // One with a credential in it is not shown.
    expect(String(getSetting(dir, 'anthropic.baseUrl').value)).not.toContain('hunter2');
    const env: NodeJS.ProcessEnv = {};
    applyAgentSettings(dir, env);
    expect(env['OPENAI_BASE_URL']).toBe('https://old-proxy.example.com/v1');

    setSetting(dir, 'openai.baseUrl', 'https://new-proxy.example.com/v1');
    expect(JSON.parse(read(dir, 'agent-secrets.json'))).toEqual({
      'anthropic.baseUrl': 'https://me:hunter2-password@old.example.com',
      'openai.apiKey': 'sk-openai-key-0123456789',
    });
    expect(getSetting(dir, 'openai.baseUrl').value).toBe('https://new-proxy.example.com/v1');
  });
});
