import type { Command } from '@commander-js/extra-typings';
import { readConfig, resolveServer, writeConfig } from '../config.js';
import { loadToken, resolveStateDir, saveToken } from '../state-dir.js';
import { readStdin } from '../stdin.js';
import { terminalSafe } from '../terminal-text.js';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('Check a Coord token against the server and save both for `start` (the token owner-only)')
    .option('--server <url>', 'Coord server URL')
    .option('--token-file <file>', 'file holding the token')
    .option('--with-token', 'read the token from stdin (e.g. `coord-runner login --with-token < token.txt`)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const server = resolveServer(opts.server, stateDir);
      const token = opts.withToken
        ? (await readStdin()).trim()
        : loadToken({ tokenFile: opts.tokenFile, stateDir });
      if (!token) throw new Error('No token on stdin.');
      const { createCoordClient } = await import('@coord/runner-core');
      const me = await createCoordClient({ baseUrl: server, token, retries: 1 }).me();
      const credentials = saveToken(stateDir, token);
      writeConfig(stateDir, { ...readConfig(stateDir), server });
      process.stdout.write(
        terminalSafe(
          `Logged in to ${server} as ${me.account.name}; workspaces: ${me.workspaces.map((w) => w.name).join(', ') || 'none'}.\n` +
            `Token saved to ${credentials} (owner-only). Run \`coord-runner start\` to take jobs.\n`,
        ),
      );
    });
}
