import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Credentials } from '@coord/runner-core';
import envPaths from 'env-paths';
import { CliError, EXIT } from './exit-codes.js';

export const STATE_DIR_ENV = 'COORD_RUNNER_STATE_DIR';
export const TOKEN_ENV = 'COORD_TOKEN';

/** The platform's usual place for the state directory. */
export function defaultStateDir(): string {
  return resolve(envPaths('coord-runner', { suffix: '' }).data);
}

/**
 * The runner's state directory (DESIGN.md section 11): the platform's usual place, resolved by
 * env-paths, overridable with one environment variable and one flag.
 */
export function resolveStateDir(flag?: string): string {
  const dir = resolve(flag ?? process.env[STATE_DIR_ENV] ?? defaultStateDir());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A random id kept in the state dir, so that re-registering after a restart keeps the runner id. */
export function loadMachineId(stateDir: string): string {
  const file = join(stateDir, 'machine-id');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (id.length >= 8) return id;
  } catch {
    // first start
  }
  const id = randomBytes(16).toString('hex');
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}

/**
 * Reads the Coord token: `--token-file`, else `$COORD_TOKEN`, else `<state>/credentials`. Never from
 * argv: command lines are visible to every user of the machine.
 */
export function loadToken(options: { tokenFile?: string; stateDir: string }): string {
  if (options.tokenFile) return readTokenFile(resolve(options.tokenFile));
  const fromEnv = process.env[TOKEN_ENV]?.trim();
  if (fromEnv) return fromEnv;
  const credentials = join(options.stateDir, 'credentials');
  try {
    return readTokenFile(credentials);
  } catch (error) {
    throw new CliError(
      EXIT.notSignedIn,
      `No Coord token: set ${TOKEN_ENV}, pass --token-file <file>, or save it with \`coord-runner login --token-file <file>\` (looked in ${credentials}).`,
      undefined,
      { cause: error },
    );
  }
}

/**
 * Where a running runner finds a new sign-in after the server refused its token: the token file
 * it was started with, else the state dir's `credentials` (what `coord-runner login` writes). A
 * token from the environment cannot change under a running process.
 */
export function credentialsSource(options: { tokenFile?: string; stateDir: string }): Credentials {
  if (options.tokenFile) {
    const file = resolve(options.tokenFile);
    return { read: () => readTokenOrNull(file), signInHint: `put a valid token in ${file}` };
  }
  const fromEnv = process.env[TOKEN_ENV]?.trim();
  if (fromEnv) {
    return { read: () => fromEnv, signInHint: `restart the runner with a valid ${TOKEN_ENV}` };
  }
  const credentials = join(options.stateDir, 'credentials');
  return {
    read: () => readTokenOrNull(credentials),
    signInHint: 'run `coord-runner login` to sign in again',
  };
}

/** Read again and again while signed out: a missing or empty file is no sign-in, and no warning. */
function readTokenOrNull(file: string): string | null {
  try {
    return readTokenFile(file, { warn: false });
  } catch {
    return null;
  }
}

function readTokenFile(file: string, { warn = true }: { warn?: boolean } = {}): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read the token file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
  const token = text.trim();
  if (!token) throw new Error(`The token file ${file} is empty.`);
  if (warn && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    process.emitWarning(`The token file ${file} is readable by other users; chmod 600 it.`);
  }
  return token;
}

/** Saves a token to `<state>/credentials`, owner-only. */
export function saveToken(stateDir: string, token: string): string {
  const file = join(stateDir, 'credentials');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** The index of finished attempts (DESIGN.md section 11 `history`). */
export function historyFile(stateDir: string): string {
  return join(stateDir, 'history', 'attempts.ndjson');
}
