import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startLocalServer } from '@coord/local-server';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
} from '@coord/runner-core';
import { filter, firstValueFrom } from 'rxjs';
import { createFloodAgent } from './flood-agent.js';

/**
 * Event throughput: one attempt whose agent prints `events` lines as fast as it can. Every event
 * goes to the disk spool, then to the server in batches; the clock stops when the server has
 * acknowledged all of them. Also reports the runner process's peak heap, which must not grow with
 * the number of events already acknowledged.
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { events: { type: 'string', default: '50000' } } });
  const count = Number(values.events);
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-events-'));
  const server = await startLocalServer({ dataDir: join(root, 'server') });
  const runner = createRunner({
    client: createCoordClient({ baseUrl: server.url, token: server.token }),
    identity: {
      machineId: 'bench-events',
      name: 'bench-events',
      platform: 'linux',
      arch: 'x64',
      version: 'bench',
    },
    agents: [createFloodAgent(count)],
    local: createLocalWorkspaces({ root: join(root, 'work') }),
    spool: createFileEventSpool(join(root, 'spool')),
  });
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
  try {
    await runner.start();
    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    // `done` comes after the report: the server then holds every event and the completion.
    const finished = firstValueFrom(
      runner.events$.pipe(filter((e) => e.type === 'job.state' && e.state === 'done')),
    );
    const started = performance.now();
    const job = await client.submitJob('local', {
      title: 'flood',
      instructions: 'print a lot',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'unused' }] },
      routing: { mode: 'any' },
    });
    await finished;
    const elapsedMs = performance.now() - started;
    const view = await client.getJob(job.id);
    const attempt = view.attempts[0]!;
    // Completion is only accepted once the server holds every event, so this is the whole count.
    const result = {
      bench: 'events',
      events: count,
      acked_on_server: attempt.eventsAcked,
      elapsed_ms: Math.round(elapsedMs),
      events_per_s: Math.round((attempt.eventsAcked / elapsedMs) * 1000),
      peak_heap_mb: Math.round(peakHeap / 1024 / 1024),
      job_status: view.status,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    clearInterval(sampler);
    await runner.stop();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}
