import { execa, type ResultPromise } from 'execa';
import { CLI_BIN, eventually } from './cli.js';

export interface CliServer {
  url: string;
  tokenFile: string;
  token: string;
  process: ResultPromise;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `coord-runner local` as a user would and reads its URL from what it prints. `port` starts
 * it again where an earlier run listened (same data dir: the same server after an outage).
 */
export async function startCliServer(
  dataDir: string,
  env: Record<string, string>,
  options: {
    port?: number;
    /** Test-only server timings (short leases), `--timings`. */ timings?: object;
  } = {},
): Promise<CliServer> {
  const port = options.port ? ['--port', String(options.port)] : [];
  const timings = options.timings ? ['--timings', JSON.stringify(options.timings)] : [];
  const child = execa(process.execPath, [CLI_BIN, 'local', '--data-dir', dataDir, ...port, ...timings], {
    env,
    extendEnv: false,
    reject: false,
    buffer: false,
  }) as unknown as ResultPromise;
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await eventually(
    () => /listening on (http:\/\/\S+)/.exec(output)?.[1],
    20_000,
    `the local server to start (output: ${output})`,
  );
  const tokenFile = await eventually(
    () => /token file:\s+(\S+)/.exec(output)?.[1],
    5_000,
    'the token file line',
  );
  const { readFileSync } = await import('node:fs');
  const token = readFileSync(tokenFile, 'utf8').trim();
  return {
    url,
    tokenFile,
    token,
    process: child,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}

/** A small typed fetch for the Coord API and the forge, as a test's "user". */
export async function api<T = unknown>(
  server: { url: string; token: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'coord-protocol': '1',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json().catch(() => null)) as T };
}
