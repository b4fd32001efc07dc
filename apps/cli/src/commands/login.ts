import { rmSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import {
  accountName,
  accountToken,
  accountTokenFile,
  DEFAULT_ACCOUNT,
  namedAccounts,
  removeAccount,
  saveAccount,
} from '../accounts.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readConfig, resolveServer, writeConfig } from '../config.js';
import { loadToken, resolveStateDir, saveToken, TOKEN_ENV } from '../state-dir.js';
import { readStdin } from '../stdin.js';
import { terminalJson, terminalSafe } from '../terminal-text.js';

/** Device sign-in at the terminal: the code and URL to open, then a wait that Ctrl-C ends. */
async function tokenFromDevice(server: string): Promise<string> {
  const controller = new AbortController();
  const cancel = () => controller.abort();
  process.once('SIGINT', cancel);
  try {
    const { signInWithDevice } = await import('@coord/runner-core');
    const { token } = await signInWithDevice({
      baseUrl: server,
      clientName: `coord-runner on ${hostname()} (${userInfo().username})`,
      signal: controller.signal,
      onCode: (a) =>
        process.stderr.write(
          terminalSafe(
            `To sign this runner in, open\n  ${a.verificationUriComplete}\nand check that it shows the code ${a.userCode} (or open ${a.verificationUri} and type it).\nWaiting for approval (Ctrl-C to cancel)...\n`,
          ),
        ),
    });
    return token;
  } finally {
    process.removeListener('SIGINT', cancel);
  }
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(
      'Sign in to a Coord server and save the token for `start` (owner-only). Without a token, shows a code to approve in the web app',
    )
    .option('--server <url>', 'Coord server URL')
    .option('--token-file <file>', 'file holding the token (unattended sign-in)')
    .option('--with-token', 'read the token from stdin (e.g. `coord-runner login --with-token < token.txt`)')
    .option(
      '--account <name>',
      'add (or sign in again) another account, by a name of your choosing: the runner serves every account at once',
    )
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const account = opts.account === undefined ? null : accountName(opts.account);
      const known = account ? namedAccounts(readConfig(stateDir)).find((a) => a.name === account) : undefined;
      if (account && !opts.server && !known) {
        throw new CliError(EXIT.usage, `A new account needs its server: add --server <url>.`);
      }
      const server = resolveServer(opts.server ?? known?.server, stateDir);
      const fromToken = opts.withToken || opts.tokenFile || process.env[TOKEN_ENV]?.trim();
      const token = opts.withToken
        ? (await readStdin()).trim()
        : fromToken
          ? loadToken({ tokenFile: opts.tokenFile, stateDir })
          : await tokenFromDevice(server);
      if (!token) throw new Error('No token on stdin.');
      const { createCoordClient } = await import('@coord/runner-core');
      const me = await createCoordClient({ baseUrl: server, token, retries: 1 }).me();
      let credentials: string;
      if (account) credentials = saveAccount(stateDir, account, server, token);
      else {
        credentials = saveToken(stateDir, token);
        writeConfig(stateDir, { ...readConfig(stateDir), server });
      }
      const running = await signInRunningRunner(stateDir, account);
      process.stdout.write(
        terminalSafe(
          `Logged in to ${server} as ${me.account.name}${account ? ` (account "${account}")` : ''}; workspaces: ${me.workspaces.map((w) => w.name).join(', ') || 'none'}.\n` +
            `Token saved to ${credentials} (owner-only). ${
              running === 'signed_in'
                ? 'The runner running on this state dir goes on.'
                : running === 'signed_out'
                  ? 'The runner running on this state dir is still signed out: it reads its token from elsewhere (see `coord-runner status`).'
                  : running === 'not_served'
                    ? 'The runner running on this state dir serves the accounts it started with: restart it (`coord-runner stop`, then `start`) to serve this one too.'
                    : 'Run `coord-runner start` to take jobs.'
            }\n`,
        ),
      );
    });

  program
    .command('logout')
    .description("Forget this runner's saved token (and revoke it on the server if a device sign-in made it)")
    .option('--account <name>', 'sign out of this added account (and forget it) instead of the first one')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const account = opts.account === undefined ? null : accountName(opts.account);
      const credentials = account ? accountTokenFile(stateDir, account) : join(stateDir, 'credentials');
      const server = account
        ? namedAccounts(readConfig(stateDir)).find((a) => a.name === account)?.server
        : readConfig(stateDir).server;
      let token: string;
      try {
        token = loadToken({ stateDir, tokenFile: credentials });
      } catch {
        process.stdout.write(terminalSafe(`Not signed in (no ${credentials}).\n`));
        return;
      }
      let note = '';
      const { createCoordClient } = await import('@coord/runner-core');
      if (server) {
        try {
          const { revoked } = await createCoordClient({ baseUrl: server, token, retries: 1 }).signOut();
          note = revoked
            ? ' and revoked on the server'
            : ' (the token itself stays valid: it was not made by `login`)';
        } catch (error) {
          note = ` (could not reach ${server} to revoke it: ${(error as Error).message})`;
        }
      }
      if (account) removeAccount(stateDir, account);
      else rmSync(credentials, { force: true });
      process.stdout.write(terminalSafe(`Signed out: removed ${credentials}${note}.\n`));
    });

  program
    .command('whoami')
    .description('Show the server and account this runner signs in as')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .option('--server <url>', 'Coord server URL')
    .option('--token-file <file>', 'file holding the token')
    .option('--account <name>', 'an account added with `login --account` (default: the first one)')
    .option('--json', 'print the answer as JSON')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const { createCoordClient } = await import('@coord/runner-core');
      const ask = (server: string, token: string) =>
        createCoordClient({ baseUrl: server, token, retries: 1 }).me();
      const line = (name: string | null, server: string, me: Awaited<ReturnType<typeof ask>>) =>
        `${me.account.name} on ${server}${name ? ` (account "${name}")` : ''}; workspaces: ${me.workspaces.map((w) => w.name).join(', ') || 'none'}`;
      const named = namedAccounts(readConfig(stateDir));
      if (opts.account !== undefined) {
        const name = accountName(opts.account);
        const account = named.find((a) => a.name === name);
        if (!account) {
          throw new CliError(
            EXIT.notSignedIn,
            `No account "${name}": add it with \`coord-runner login --account ${name} --server <url>\`.`,
          );
        }
        const me = await ask(account.server, accountToken(stateDir, name));
        if (opts.json)
          return void process.stdout.write(`${terminalJson({ server: account.server, ...me })}\n`);
        return void process.stdout.write(terminalSafe(`${line(name, account.server, me)}\n`));
      }
      // The first account, as `start` finds it: added accounts alone are enough without it.
      let first: { server: string; token: string } | null;
      try {
        first = {
          server: resolveServer(opts.server, stateDir),
          token: loadToken({ tokenFile: opts.tokenFile, stateDir }),
        };
      } catch (error) {
        if (named.length === 0 || opts.server !== undefined || opts.tokenFile !== undefined) throw error;
        first = null;
      }
      const me = first ? await ask(first.server, first.token) : null;
      // The added accounts too, each asked on its own server: one that fails says why.
      const others = await Promise.all(
        named.map(async ({ name, server: at }) => {
          try {
            return { name, server: at, me: await ask(at, accountToken(stateDir, name)) };
          } catch (error) {
            return { name, server: at, error: (error as Error).message };
          }
        }),
      );
      if (opts.json) {
        const accounts = others.map((o) => ('me' in o ? { name: o.name, server: o.server, ...o.me } : o));
        const own = first && me ? { server: first.server, ...me } : {};
        return void process.stdout.write(
          `${terminalJson({ ...own, ...(accounts.length ? { accounts } : {}) })}\n`,
        );
      }
      const lines = [
        ...(first && me ? [line(null, first.server, me)] : []),
        ...others.map((o) =>
          'me' in o ? line(o.name, o.server, o.me!) : `account "${o.name}" on ${o.server}: ${o.error}`,
        ),
      ];
      process.stdout.write(terminalSafe(`${lines.join('\n')}\n`));
    });
}

/**
 * A runner already running on this state dir picks the new token up by itself (within seconds);
 * asking for its status makes it look now. Null when no runner answers.
 */
async function signInRunningRunner(
  stateDir: string,
  account: string | null,
): Promise<'signed_in' | 'signed_out' | 'not_served' | null> {
  let connections;
  try {
    const { callRunner } = await import('../control/control-client.js');
    // A status call makes a signed-out runner read its credentials again before it answers.
    connections = (await callRunner(stateDir, { method: 'status' })).connections;
  } catch {
    return null;
  }
  const mine = connections.filter((c) => (c.name ?? DEFAULT_ACCOUNT) === (account ?? DEFAULT_ACCOUNT));
  if (mine.length === 0) return 'not_served';
  return mine.some((c) => c.status === 'signed_out') ? 'signed_out' : 'signed_in';
}
