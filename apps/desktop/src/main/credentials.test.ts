import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testSafeStorage } from '../../test/harness/harness-server.js';
import { createCredentialStore, type SafeStorageLike } from './credentials.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const file = () => {
  const dir = mkdtempSync(join(tmpdir(), 'coord-desktop-cred-'));
  dirs.push(dir);
  return join(dir, 'state', 'desktop-credentials.json');
};
const TOKEN = 'coord_pat_0123456789abcdefghijklmnopqrstuv';

describe('the desktop sign-in store', () => {
  it('keeps the token sealed by the keychain in an owner-only file, and reads it back', () => {
    const path = file();
    const store = createCredentialStore(path, testSafeStorage);
    store.save({ server: 'https://coord.example', token: TOKEN });
    const raw = readFileSync(path, 'utf8');
    expect(raw).not.toContain(TOKEN);
    expect(raw).not.toContain(Buffer.from(TOKEN).toString('base64'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(store.load()).toEqual({ server: 'https://coord.example', token: TOKEN });
    store.clear();
    expect(store.load()).toBeNull();
  });

  it('refuses to save without a keychain, saying what to install, and writes nothing', () => {
    const path = file();
    const none: SafeStorageLike = { ...testSafeStorage, isEncryptionAvailable: () => false };
    const store = createCredentialStore(path, none);
    expect(store.available()).toBe(false);
    expect(() => store.save({ server: 'https://coord.example', token: TOKEN })).toThrow(
      /Secret Service keyring/,
    );
    expect(() => readFileSync(path)).toThrow();
  });

  it('treats a file it cannot unseal or read as no sign-in', () => {
    const path = file();
    const store = createCredentialStore(path, testSafeStorage);
    store.save({ server: 'https://coord.example', token: TOKEN });
    const other = createCredentialStore(path, {
      ...testSafeStorage,
      decryptString: () => {
        throw new Error('wrong key');
      },
    });
    expect(other.load()).toBeNull();
    writeFileSync(path, '{"version":1,"server":');
    expect(() => store.load()).not.toThrow();
    expect(store.load()).toBeNull();
  });
});
