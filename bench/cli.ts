import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalServer } from '@coord/local-server';

/**
 * How quickly `coord-runner` starts: `--help` and `status` (against a running runner on a local
 * server), next to a bare `node -e 0`. The median of `samples` runs each; the goal is
 * help_ms / node_ms <= 3.
 */
export interface CliResult {
  bench: 'cli';
  samples: number;
  help_ms: number;
  status_ms: number;
  node_ms: number;
  ratio: number;
}

const CLI_BIN = fileURLToPath(new URL('../apps/cli/bin/coord-runner.js', import.meta.url));

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

/** Wall time of one run, which must succeed. */
function timed(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - started;
  if (run.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr.toString()}`);
  }
  return ms;
}

const medianOf = (samples: number, args: string[], env: NodeJS.ProcessEnv) =>
  round(median(Array.from({ length: samples }, () => timed(args, env))));

export async function measureCli({ samples }: { samples: number }): Promise<CliResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'coord-bench-cli-'));
  const server = await startLocalServer({ dataDir: path.join(dir, 'server') });
  const tokenFile = path.join(dir, 'token');
  await writeFile(tokenFile, `${server.token}\n`, { mode: 0o600 });
  const env = { PATH: process.env['PATH'] ?? '', HOME: dir, COORD_RUNNER_STATE_DIR: path.join(dir, 'state') };
  const runner = spawn(
    process.execPath,
    [CLI_BIN, 'start', '--server', server.url, '--token-file', tokenFile],
    {
      env,
      stdio: 'ignore',
    },
  );
  try {
    // Warm the file cache, and wait until the runner answers.
    timed([CLI_BIN, '--help'], env);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        timed([CLI_BIN, 'status'], env);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const node_ms = medianOf(samples, ['-e', '0'], env);
    const help_ms = medianOf(samples, [CLI_BIN, '--help'], env);
    const status_ms = medianOf(samples, [CLI_BIN, 'status'], env);
    return { bench: 'cli', samples, help_ms, status_ms, node_ms, ratio: round(help_ms / node_ms) };
  } finally {
    // Not a drain: that would wait for the runner's parked claim (up to the 25 s long poll).
    runner.kill('SIGKILL');
    await new Promise((resolve) => runner.once('exit', resolve));
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const samples = Number(
    /^--samples=(\d+)$/.exec(args.find((a) => a.startsWith('--samples=')) ?? '')?.[1] ?? 10,
  );
  const result = await measureCli({ samples });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
