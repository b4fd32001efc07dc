import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, resolveServer, writeConfig, type RunnerConfig } from './config.js';
import { CliError, EXIT } from './exit-codes.js';
import { loadToken, saveToken } from './state-dir.js';

/**
 * Accounts beyond the first (DESIGN.md section 5: one runner, several servers or accounts). The
 * first is what `login` without `--account` saves: `config.server` and `<state>/credentials`.
 * Each named one has its server in `config.accounts` and, owner-only, its own directory:
 * `<state>/accounts/<name>/credentials`, and the spool of the attempts it claims (attempt ids of
 * two servers may collide, and a restarted runner must hand each attempt back to its own server).
 */
export const DEFAULT_ACCOUNT = 'default';
const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export function accountName(name: string): string {
  if (!NAME.test(name) || name === DEFAULT_ACCOUNT) {
    throw new CliError(
      EXIT.usage,
      `"${name}" cannot name an account: use lowercase letters, digits, "-" and "_" (up to 40), and not "${DEFAULT_ACCOUNT}".`,
    );
  }
  return name;
}

export function accountDir(stateDir: string, name: string): string {
  return join(stateDir, 'accounts', accountName(name));
}

/** Where a named account's token is kept (owner-only). */
export function accountTokenFile(stateDir: string, name: string): string {
  return join(accountDir(stateDir, name), 'credentials');
}

/** A named account's saved token; says how to sign in when there is none. */
export function accountToken(stateDir: string, name: string): string {
  return loadToken({ stateDir: accountDir(stateDir, name), tokenFile: accountTokenFile(stateDir, name) });
}

/** The named accounts in the config, in the order they were added. */
export function namedAccounts(config: RunnerConfig): { name: string; server: string }[] {
  const entries =
    config.accounts && typeof config.accounts === 'object' ? Object.entries(config.accounts) : [];
  return entries.flatMap(([name, entry]) =>
    NAME.test(name) && name !== DEFAULT_ACCOUNT && typeof entry?.server === 'string'
      ? [{ name, server: entry.server }]
      : [],
  );
}

/** Saves a named account's server and token (owner-only); the path of the token file. */
export function saveAccount(stateDir: string, name: string, server: string, token: string): string {
  const dir = accountDir(stateDir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = saveToken(dir, token);
  const config = readConfig(stateDir);
  writeConfig(stateDir, { ...config, accounts: { ...config.accounts, [name]: { server } } });
  return file;
}

/** Forgets a named account: its server, its token; its spool stays until nothing is owed. */
export function removeAccount(stateDir: string, name: string): void {
  const config = readConfig(stateDir);
  const { [name]: _gone, ...rest } = config.accounts ?? {};
  writeConfig(stateDir, { ...config, accounts: rest });
  rmSync(accountTokenFile(stateDir, name), { force: true });
}

/** One connection `start` makes: a server, its token, and where its state lives. */
export interface AccountConnection {
  name: string;
  server: string;
  token: string;
  /** Where a new sign-in is read from after a refused token: the token file, else this dir's `credentials`. */
  credentialsDir: string;
  tokenFile?: string;
  /** The spool of this connection's attempts. */
  attemptsDir: string;
}

/**
 * Every connection `start` makes: the first account (flags, environment, `login`) when it is set
 * up, then each named account. Flags and environment speak for the first account only.
 */
export function resolveAccounts(
  flags: { server?: string; tokenFile?: string },
  stateDir: string,
): AccountConnection[] {
  const named = namedAccounts(readConfig(stateDir)).map(({ name, server }) => {
    const dir = accountDir(stateDir, name);
    return {
      name,
      server: resolveServer(server, stateDir),
      token: accountToken(stateDir, name),
      credentialsDir: dir,
      tokenFile: accountTokenFile(stateDir, name),
      attemptsDir: join(dir, 'attempts'),
    };
  });
  let first: AccountConnection;
  try {
    first = {
      name: DEFAULT_ACCOUNT,
      server: resolveServer(flags.server, stateDir),
      token: loadToken({ tokenFile: flags.tokenFile, stateDir }),
      credentialsDir: stateDir,
      ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}),
      attemptsDir: join(stateDir, 'attempts'),
    };
  } catch (error) {
    // Named accounts alone are enough; with none, the first account's error says what to do.
    if (named.length > 0 && !flags.server && !flags.tokenFile) return named;
    throw error;
  }
  return [first, ...named];
}
