import { join, resolve } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { resolveStateDir } from '../state-dir.js';
import { parsePositiveInt } from './start.js';

export function registerLocal(program: Command): void {
  program
    .command('local')
    .description('Start the embedded Coord server (durable, on 127.0.0.1) to try the runner with no account')
    .option('--data-dir <dir>', 'where the server keeps its data (default: <state dir>/local-server)')
    .option('--port <n>', 'port to listen on (default: any free port)', (v) => parsePositiveInt(v, '--port'))
    .option('--print-token', 'print the token even when output is not a terminal (a log file, a service)')
    .action(async (opts) => {
      const dataDir = resolve(opts.dataDir ?? join(resolveStateDir(), 'local-server'));
      const { startLocalServer } = await import('@coord/local-server');
      const server = await startLocalServer({ dataDir, ...(opts.port ? { port: opts.port } : {}) });
      const tokenFile = join(dataDir, 'token');
      // A person at a terminal gets the token to paste; logs of services get only its file.
      const showToken = opts.printToken === true || process.stdout.isTTY === true;
      process.stdout.write(
        [
          `Coord local server listening on ${server.url}`,
          `  data dir:   ${dataDir}`,
          `  token file: ${tokenFile} (owner-only)`,
          ...(showToken ? [`  token:      ${server.token}`] : []),
          '',
          'Run a runner against it:',
          `  coord-runner start --server ${server.url} --token-file ${tokenFile}`,
          '',
          `Web page: ${server.url}/ (sign in with the token from the token file)`,
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
