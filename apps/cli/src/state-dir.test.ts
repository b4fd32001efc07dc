import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMachineId, loadToken, saveToken, TOKEN_ENV } from './state-dir.js';

let dir: string;
let savedEnv: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coord-cli-state-'));
  savedEnv = process.env[TOKEN_ENV];
  delete process.env[TOKEN_ENV];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedEnv === undefined) delete process.env[TOKEN_ENV];
  else process.env[TOKEN_ENV] = savedEnv;
});

describe('loadToken', () => {
  it('prefers --token-file, then $COORD_TOKEN, then the credentials file', () => {
    const stateDir = join(dir, 'state');
    saveToken(join(dir), 'from-credentials');
    expect(loadToken({ stateDir: dir })).toBe('from-credentials');
    process.env[TOKEN_ENV] = 'from-env';
    expect(loadToken({ stateDir: dir })).toBe('from-env');
    const file = join(dir, 'token');
    writeFileSync(file, '  from-file\n', { mode: 0o600 });
    expect(loadToken({ stateDir, tokenFile: file })).toBe('from-file');
  });

  it('explains where to put a token when there is none', () => {
    expect(() => loadToken({ stateDir: dir })).toThrow(/No Coord token: set COORD_TOKEN, pass --token-file/);
  });

  it('names an unreadable or empty token file', () => {
    expect(() => loadToken({ stateDir: dir, tokenFile: join(dir, 'missing') })).toThrow(
      /Cannot read the token file .*missing: ENOENT/,
    );
    writeFileSync(join(dir, 'empty'), '\n', { mode: 0o600 });
    expect(() => loadToken({ stateDir: dir, tokenFile: join(dir, 'empty') })).toThrow(/is empty/);
  });

  it('saves credentials owner-only', () => {
    const file = saveToken(dir, 'secret-value');
    expect(readFileSync(file, 'utf8').trim()).toBe('secret-value');
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('loadMachineId', () => {
  it('creates the state dir and keeps the same id across calls', () => {
    const stateDir = join(dir, 'fresh', 'state');
    const id = loadMachineId(stateDir);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(loadMachineId(stateDir)).toBe(id);
  });
});
