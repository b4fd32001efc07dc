import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { CliError, EXIT } from '../exit-codes.js';
import { resolveStateDir } from '../state-dir.js';
import { parsePositiveInt } from './start.js';

export function registerLocal(program: Command): void {
  program
    .command('local')
    .description('Start the embedded Coord server (durable, on 127.0.0.1) to try the runner with no account')
    .option('--data-dir <dir>', 'where the server keeps its data (default: <state dir>/local-server)')
    .option(
      '--port <n>',
      "port to listen on (default: the data dir's last one when free, so runners stay signed in; else any)",
      (v) => parsePositiveInt(v, '--port'),
    )
    // Test-only (hidden from help): short leases and sweeps make a lost runner's work come back in
    // seconds, not a minute, for chaos tests and soaks (tests/e2e chaos, `pnpm bench chaos`).
    .addOption(
      new Option(
        '--timings <json>',
        'test-only: server timings in ms, e.g. {"leaseTtlMs":3000,"leaseRenewMs":1000}',
      )
        .argParser(parseTimings)
        .hideHelp(),
    )
    .action(async (opts) => {
      const dataDir = resolve(opts.dataDir ?? join(resolveStateDir(), 'local-server'));
      const { defaultTimings, startLocalServer } = await import('@coord/local-server');
      const unknown = Object.keys(opts.timings ?? {}).filter((key) => !(key in defaultTimings));
      if (unknown.length > 0) {
        throw new CliError(
          EXIT.usage,
          `--timings has no ${unknown.join(', ')}`,
          `Known timings: ${Object.keys(defaultTimings).join(', ')}.`,
        );
      }
      const server = await startLocalServer({
        dataDir,
        ...(opts.port ? { port: opts.port } : { keepPort: true }),
        ...(opts.timings ? { timings: opts.timings } : {}),
      });
      const tokenFile = join(dataDir, 'token');
      const connection = `--server ${server.url} --token-file ${tokenFile}`;
      // The token stays in its file. A person at a terminal gets a one-time link to the web page
      // (spent once opened, dead in 15 minutes); a service's log gets the command that makes one.
      const web = process.stdout.isTTY
        ? [
            'Web page (a one-time sign-in link, for 15 minutes):',
            `  ${server.signInLink().url}`,
            `  another link later: coord-runner web ${connection}`,
          ]
        : [`Web page: ${server.url}/ (sign in with a link from: coord-runner web ${connection})`];
      // The address moved: what was signed in to the old one is not to this one.
      const moved = server.movedFrom
        ? [
            `  The last run's address, ${server.movedFrom}, is taken by another program. Runners`,
            `  signed in to it must sign in again: coord-runner login ${connection}`,
          ]
        : [];
      process.stdout.write(
        [
          `Coord local server listening on ${server.url}`,
          ...moved,
          `  data dir:   ${dataDir}`,
          `  token file: ${tokenFile} (owner-only)`,
          '',
          'Run a runner against it:',
          `  coord-runner start ${connection}`,
          '',
          ...web,
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

/** `--timings`: a JSON object of positive whole milliseconds (which names exist, the server knows). */
function parseTimings(value: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`--timings must be a JSON object, got ${JSON.stringify(value)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('--timings must be a JSON object of milliseconds');
  }
  for (const [key, ms] of Object.entries(parsed)) {
    if (!Number.isInteger(ms) || (ms as number) < 1) {
      throw new InvalidArgumentError(`--timings: ${key} must be a positive whole number of ms`);
    }
  }
  return parsed as Record<string, number>;
}
