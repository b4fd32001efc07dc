import { rmSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
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
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const server = resolveServer(opts.server, stateDir);
      const fromToken = opts.withToken || opts.tokenFile || process.env[TOKEN_ENV]?.trim();
      const token = opts.withToken
        ? (await readStdin()).trim()
        : fromToken
          ? loadToken({ tokenFile: opts.tokenFile, stateDir })
          : await tokenFromDevice(server);
      if (!token) throw new Error('No token on stdin.');
      const { createCoordClient } = await import('@coord/runner-core');
      const me = await createCoordClient({ baseUrl: server, token, retries: 1 }).me();
      const credentials = saveToken(stateDir, token);
      writeConfig(stateDir, { ...readConfig(stateDir), server });
      const running = await signInRunningRunner(stateDir);
      process.stdout.write(
        terminalSafe(
          `Logged in to ${server} as ${me.account.name}; workspaces: ${me.workspaces.map((w) => w.name).join(', ') || 'none'}.\n` +
            `Token saved to ${credentials} (owner-only). ${
              running === 'signed_in'
                ? 'The runner running on this state dir goes on.'
                : running === 'signed_out'
                  ? 'The runner running on this state dir is still signed out: it reads its token from elsewhere (see `coord-runner status`).'
                  : 'Run `coord-runner start` to take jobs.'
            }\n`,
        ),
      );
    });

  program
    .command('logout')
    .description("Forget this runner's saved token (and revoke it on the server if a device sign-in made it)")
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const credentials = join(stateDir, 'credentials');
      const server = readConfig(stateDir).server;
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
      rmSync(credentials, { force: true });
      process.stdout.write(terminalSafe(`Signed out: removed ${credentials}${note}.\n`));
    });

  program
    .command('whoami')
    .description('Show the server and account this runner signs in as')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .option('--server <url>', 'Coord server URL')
    .option('--token-file <file>', 'file holding the token')
    .option('--json', 'print the answer as JSON')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const server = resolveServer(opts.server, stateDir);
      const { createCoordClient } = await import('@coord/runner-core');
      const me = await createCoordClient({
        baseUrl: server,
        token: loadToken({ tokenFile: opts.tokenFile, stateDir }),
        retries: 1,
      }).me();
      if (opts.json) return void process.stdout.write(`${terminalJson({ server, ...me })}\n`);
      process.stdout.write(
        terminalSafe(
          `${me.account.name} on ${server}; workspaces: ${me.workspaces.map((w) => w.name).join(', ') || 'none'}\n`,
        ),
      );
    });
}

/**
 * A runner already running on this state dir picks the new token up by itself (within seconds);
 * asking for its status makes it look now. Null when no runner answers.
 */
async function signInRunningRunner(stateDir: string): Promise<'signed_in' | 'signed_out' | null> {
  try {
    const { callRunner } = await import('../control/control-client.js');
    // A status call makes a signed-out runner read its credentials again before it answers.
    const status = await callRunner(stateDir, { method: 'status' });
    return status.connections.some((c) => c.status === 'signed_out') ? 'signed_out' : 'signed_in';
  } catch {
    return null;
  }
}
