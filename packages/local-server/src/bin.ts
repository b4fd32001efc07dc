import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalServer } from './server.js';

const usage =
  'Usage: coord-local-server --data-dir <dir> [--port <n>] [--host <address>] [--public-url <url>]...';

async function main(): Promise<void> {
  let values: {
    'data-dir'?: string;
    port?: string;
    host?: string;
    'public-url'?: string[];
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        // Extra names the server is reached by (a reverse proxy, a DNS name); others get 421.
        'public-url': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  if (!values['data-dir']) {
    console.error(`--data-dir is required\n${usage}`);
    process.exit(2);
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    console.error(`--port must be a port number, not ${values.port}\n${usage}`);
    process.exit(2);
  }
  const dataDir = resolve(values['data-dir']);
  const server = await startLocalServer({
    dataDir,
    // Without --port, a restart keeps the last run's port when it is free.
    ...(port === undefined ? { keepPort: true } : { port }),
    host: values.host,
    publicUrls: values['public-url'],
  });
  // The URL line is what scripts and tests wait for; the token itself is never printed.
  console.log(`Coord local server listening on ${server.url}`);
  if (server.movedFrom)
    console.log(
      `The last run's address, ${server.movedFrom}, is taken: runners signed in to it must sign in again.`,
    );
  console.log(`API token stored in ${join(dataDir, 'token')}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Received ${signal}, shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`coord-local-server: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
