import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codexConfigToml, prepareCodexHome, pruneCodexHomes, userCodexHome } from './codex-home.js';

const dirs: string[] = [];
const temp = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'codex-home-test-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the per-job CODEX_HOME', () => {
  it("carries the user's sign-in for the run only, owner-only, and none of their config", () => {
    const user = temp();
    writeFileSync(path.join(user, 'auth.json'), '{"tokens":"secret"}');
    writeFileSync(path.join(user, 'config.toml'), '[mcp_servers.slow]\ncommand = "slow-server"\n');
    const base = temp();
    const home = prepareCodexHome({ baseDir: base, jobId: 'job-1', workDir: '/w', userHome: user });

    expect(readFileSync(path.join(home.dir, 'auth.json'), 'utf8')).toBe('{"tokens":"secret"}');
    expect(statSync(path.join(home.dir, 'auth.json')).mode & 0o777).toBe(0o600);
    expect(statSync(home.dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(home.dir, 'config.toml'), 'utf8')).not.toContain('mcp_servers');
    home.cleanup();
    expect(existsSync(path.join(home.dir, 'auth.json'))).toBe(false);
    // The same job gets the same home (its threads stay resumable); another job another one.
    expect(prepareCodexHome({ baseDir: base, jobId: 'job-1', workDir: '/w', userHome: null }).dir).toBe(
      home.dir,
    );
    expect(prepareCodexHome({ baseDir: base, jobId: 'job-2', workDir: '/w', userHome: null }).dir).not.toBe(
      home.dir,
    );
  });

  it("gives a sign-in Codex refreshed during the run back to the user's file, unless theirs changed", () => {
    const user = temp();
    const base = temp();
    const original = path.join(user, 'auth.json');
    writeFileSync(original, '{"refresh":"r1"}');
    const home = prepareCodexHome({ baseDir: base, jobId: 'job-1', workDir: '/w', userHome: user });
    writeFileSync(path.join(home.dir, 'auth.json'), '{"refresh":"r2"}'); // Codex rotated the token
    home.cleanup();
    expect(readFileSync(original, 'utf8')).toBe('{"refresh":"r2"}');
    expect(statSync(original).mode & 0o777).toBe(0o600);

    const again = prepareCodexHome({ baseDir: base, jobId: 'job-1', workDir: '/w', userHome: user });
    writeFileSync(path.join(again.dir, 'auth.json'), '{"refresh":"r3"}');
    writeFileSync(original, '{"refresh":"user-logged-in-again"}');
    again.cleanup();
    expect(readFileSync(original, 'utf8')).toBe('{"refresh":"user-logged-in-again"}');
    expect(existsSync(path.join(again.dir, 'auth.json'))).toBe(false);
  });

  it('prunes the homes of jobs not run for two weeks', () => {
    const base = temp();
    const old = prepareCodexHome({ baseDir: base, jobId: 'old', workDir: '/w', userHome: null }).dir;
    const recent = prepareCodexHome({ baseDir: base, jobId: 'recent', workDir: '/w', userHome: null }).dir;
    const longAgo = (Date.now() - 15 * 24 * 60 * 60 * 1000) / 1000;
    utimesSync(path.join(old, 'config.toml'), longAgo, longAgo);
    pruneCodexHomes(base);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    pruneCodexHomes(path.join(base, 'missing'));
  });

  it('names the key variable of a provider, never the key, and trusts the work directory', () => {
    const toml = codexConfigToml({
      workDir: '/work/a "quoted" dir',
      model: 'gpt-x',
      provider: { id: 'fake', baseUrl: 'http://127.0.0.1:9/v1', envKey: 'FAKE_KEY', requestMaxRetries: 0 },
    });
    expect(toml).toContain('model_provider = "fake"');
    expect(toml).toContain('[model_providers.fake]');
    expect(toml).toContain('env_key = "FAKE_KEY"');
    expect(toml).toContain('supports_websockets = false');
    expect(toml).toContain('request_max_retries = 0');
    expect(toml).toContain('[projects."/work/a \\"quoted\\" dir"]');
    expect(toml).toMatch(/exclude = \[.*"FAKE_KEY"/);
    expect(() => codexConfigToml({ workDir: '/w', provider: { id: 'a]b', baseUrl: 'x' } })).toThrow();
  });

  it("finds the user's CODEX_HOME like Codex does", () => {
    expect(userCodexHome({ CODEX_HOME: '/c', HOME: '/h' })).toBe('/c');
    expect(userCodexHome({ HOME: '/h' })).toBe(path.join('/h', '.codex'));
    expect(userCodexHome({})).toBeNull();
  });
});
