import type { Command } from '@commander-js/extra-typings';
import { resolveConnection } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { terminalSafe } from '../terminal-text.js';

/**
 * `coord-runner web`: a one-time link that signs the account in to its server's web page, so the
 * token is never pasted into a browser or shown on the terminal.
 */
export function registerWeb(program: Command): void {
  program
    .command('web')
    .description("Print a one-time link that signs you in to the server's web page (good for 15 minutes)")
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const { server, token } = resolveConnection(opts);
      const { ApiError, createCoordClient } = await import('@coord/runner-core');
      const link = await createCoordClient({ baseUrl: server, token })
        .webSignInLink()
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404) {
            throw new CliError(
              EXIT.failed,
              `${server} makes no one-time sign-in links.`,
              'Open its web page and sign in there.',
            );
          }
          throw error;
        });
      process.stdout.write(`${terminalSafe(link.url)}\n`);
      if (process.stdout.isTTY) process.stderr.write('Open it within 15 minutes; it works once.\n');
    });
}
