import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { registerSecret } from '@coord/runner-core';
import { z } from 'zod';

/** Electron's `safeStorage`: the OS keychain (Keychain, DPAPI, libsecret) seals the token. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(sealed: Buffer): string;
}

export interface Credentials {
  server: string;
  token: string;
}

const fileSchema = z.object({ version: z.literal(1), server: z.string(), sealedToken: z.string() });

export interface CredentialStore {
  /** The saved sign-in, or null (none, or it can no longer be unsealed: sign in again). */
  load(): Credentials | null;
  save(credentials: Credentials): void;
  clear(): void;
  /** Whether a token can be kept here at all: without a keychain it is never written. */
  available(): boolean;
}

/**
 * The desktop app's sign-in, sealed by the OS keychain through `safeStorage`: the file (owner
 * only) holds the server and the sealed token, never the token itself. Without a keychain the
 * app refuses to save rather than fall back to plain text; the person is told why.
 */
export function createCredentialStore(file: string, safeStorage: SafeStorageLike): CredentialStore {
  return {
    available: () => safeStorage.isEncryptionAvailable(),
    load() {
      let raw: string;
      try {
        raw = readFileSync(file, 'utf8');
      } catch {
        return null;
      }
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return null; // torn or edited by hand: a new sign-in replaces it
      }
      const parsed = fileSchema.safeParse(json);
      if (!parsed.success || !safeStorage.isEncryptionAvailable()) return null;
      try {
        const token = safeStorage.decryptString(Buffer.from(parsed.data.sealedToken, 'base64'));
        registerSecret(token);
        return { server: parsed.data.server, token };
      } catch {
        return null; // sealed by another user or machine: a new sign-in replaces it
      }
    },
    save({ server, token }) {
      if (!safeStorage.isEncryptionAvailable()) {
        throw new Error(
          'The system keychain is not available, so the sign-in cannot be kept safely. On Linux, install and unlock a Secret Service keyring (GNOME Keyring, KWallet), then sign in again.',
        );
      }
      registerSecret(token);
      const body = JSON.stringify({
        version: 1,
        server,
        sealedToken: safeStorage.encryptString(token).toString('base64'),
      });
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, body, { mode: 0o600 });
      renameSync(temp, file);
    },
    clear() {
      rmSync(file, { force: true });
    },
  };
}
