import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createCoordClient, type Runner } from '@coord/runner-core';
import { startBenchRunners } from './bench-runners.js';
import { startServerProcess } from './processes.js';
import { percentile, round } from './stats.js';

/**
 * Claim throughput under a burst: idle runners wait on one local server while a whole Backlog is
 * made Ready in one request, every job finishing at once. `claims_per_s` is jobs over the time
 * from that request to the last claim; `p99_ms` is Ready to claimed per job (the runner's own
 * `job.claimed` event); double claims are counted by the runners and by the server (attempts).
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string', default: '2000' },
      runners: { type: 'string', default: '32' },
      // Writes the server process's CPU profile there (the runners': run the bench under --cpu-prof).
      'server-profile': { type: 'string' },
    },
  });
  const result = await measureClaims({
    jobs: Number(values.jobs),
    runners: Number(values.runners),
    ...(values['server-profile'] ? { serverProfileDir: values['server-profile'] } : {}),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface ClaimsResult {
  bench: 'claims';
  jobs: number;
  runners: number;
  claims_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  double_claims: number;
  runner_cpu_ms_per_job: number;
  server_cpu_ms_per_job: number;
  node: string;
}

export async function measureClaims(options: {
  jobs: number;
  runners: number;
  serverProfileDir?: string;
}): Promise<ClaimsResult> {
  const { jobs, runners: runnerCount } = options;
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-claims-'));
  const server = await startServerProcess(
    join(root, 'server'),
    options.serverProfileDir ? { profileDir: options.serverProfileDir } : {},
  );
  const runners: Runner[] = [];
  let finished = 0;
  let allFinished!: () => void;
  const done = new Promise<void>((resolve) => (allFinished = resolve));
  try {
    const started = await startBenchRunners({
      server,
      root,
      count: runnerCount,
      onEvent: (event) => {
        if (event.type === 'job.finished' && ++finished === jobs) allFinished();
      },
    });
    runners.push(...started.runners);
    const { claimedAt } = started;
    const submitter = createCoordClient({ baseUrl: server.url, token: server.token });
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      const job = await submitter.submitJob('local', {
        title: `burst job ${i}`,
        instructions: 'finish at once',
        context: { type: 'local' },
        agent: { id: 'demo', plan: [{ type: 'say', text: 'done' }] },
        routing: { mode: 'any' },
        status: 'backlog',
      });
      ids.push(job.id);
    }
    // Let every runner park its long poll before the burst.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const t0 = performance.now();
    const runnerCpu0 = process.cpuUsage();
    const serverCpu0 = server.cpuMs();
    await submitter.readyJobs(ids);
    await done;
    const runnerCpu = process.cpuUsage(runnerCpu0);
    const serverCpuMs = server.cpuMs() - serverCpu0;

    const latencies: number[] = [];
    let runnerDoubles = 0;
    for (const id of ids) {
      const claims = claimedAt.get(id);
      if (!claims) throw new Error(`job ${id} finished without a claim event`);
      if (claims.length > 1) runnerDoubles += 1;
      latencies.push(claims[0]! - t0);
    }
    const serverDoubles = (await submitter.listJobs({ workspace: 'local' })).filter(
      (job) => job.attempts.length > 1,
    ).length;
    const lastClaim = Math.max(...latencies);
    return {
      bench: 'claims',
      jobs,
      runners: runnerCount,
      claims_per_s: Math.round(jobs / (lastClaim / 1000)),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(lastClaim),
      double_claims: runnerDoubles + serverDoubles,
      // Where the time goes, per job from Ready to finished: the runners' process and the server's.
      runner_cpu_ms_per_job: round((runnerCpu.user + runnerCpu.system) / 1000 / jobs),
      server_cpu_ms_per_job: round(serverCpuMs / jobs),
      node: process.version,
    };
  } finally {
    await Promise.all(runners.map((r) => r.stop()));
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
