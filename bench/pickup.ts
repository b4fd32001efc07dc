import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createCoordClient, type Runner } from '@coord/runner-core';
import { firstValueFrom, filter } from 'rxjs';
import { startBenchRunners } from './bench-runners.js';
import { startServerProcess } from './processes.js';
import { percentile, round } from './stats.js';

/**
 * Pickup latency: idle runners wait on one local server (long polls) while jobs become Ready one
 * at a time, each finishing at once. Latency runs from just before the submit request (the job
 * becomes Ready inside it) to the moment a runner holds its claim (its `job.claimed` event); the
 * server-side figure (claim time minus readyAt, millisecond timestamps) is reported too.
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { jobs: { type: 'string', default: '500' }, runners: { type: 'string', default: '4' } },
  });
  const result = await measurePickup({ jobs: Number(values.jobs), runners: Number(values.runners) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface PickupResult {
  bench: 'pickup';
  jobs: number;
  runners: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  server_p50_ms: number;
  server_p99_ms: number;
  double_claims: number;
  node: string;
}

export async function measurePickup(options: { jobs: number; runners: number }): Promise<PickupResult> {
  const { jobs, runners: runnerCount } = options;
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-pickup-'));
  const server = await startServerProcess(join(root, 'server'));
  const runners: Runner[] = [];
  try {
    const started = await startBenchRunners({ server, root, count: runnerCount });
    runners.push(...started.runners);
    const { claimedAt } = started;
    const submitter = createCoordClient({ baseUrl: server.url, token: server.token });
    // Let every runner park its long poll before the first job.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const latencies: number[] = [];
    const serverLatencies: number[] = [];
    for (let i = 0; i < jobs; i++) {
      const finished = Promise.race(
        runners.map((r) => firstValueFrom(r.events$.pipe(filter((e) => e.type === 'job.finished')))),
      );
      const t0 = performance.now();
      const job = await submitter.submitJob('local', {
        title: `bench job ${i}`,
        instructions: 'finish at once',
        context: { type: 'local' },
        agent: { id: 'demo', plan: [{ type: 'say', text: 'done' }] },
        routing: { mode: 'any' },
      });
      await finished;
      const claimed = claimedAt.get(job.id);
      if (!claimed) throw new Error(`job ${job.id} finished without a claim event`);
      latencies.push(claimed[0]! - t0);
    }
    // Server-side view, and double claims as the server saw them (more than one attempt per job).
    let serverDoubles = 0;
    for (const job of await submitter.listJobs({ workspace: 'local' })) {
      if (job.attempts.length > 1) serverDoubles += 1;
      const attempt = job.attempts[0];
      if (attempt && job.readyAt)
        serverLatencies.push(Date.parse(attempt.startedAt) - Date.parse(job.readyAt));
    }
    const doubleClaims = [...claimedAt.values()].filter((list) => list.length > 1).length + serverDoubles;
    return {
      bench: 'pickup',
      jobs,
      runners: runnerCount,
      p50_ms: round(percentile(latencies, 50)),
      p90_ms: round(percentile(latencies, 90)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(Math.max(...latencies)),
      server_p50_ms: round(percentile(serverLatencies, 50)),
      server_p99_ms: round(percentile(serverLatencies, 99)),
      double_claims: doubleClaims,
      node: process.version,
    };
  } finally {
    await Promise.all(runners.map((r) => r.stop()));
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
