import { join } from 'node:path';
import { sweepExpiredLeases, startLocalServer, type LocalServer } from '@coord/local-server';
import { createDemoAgent } from '@coord/runner-agents';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
  type Runner,
  type RunnerEvent,
} from '@coord/runner-core';
import type { AttemptEvent, JobSubmission, JobView } from '@coord/runner-protocol';
import { firstValueFrom, filter, ReplaySubject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, tempDir } from './helpers/cli.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { serverUrl?: (server: LocalServer) => Promise<string>; leaseRenewMs?: number } = {}) {
  const dir = tempDir('resilience');
  cleanups.push(dir.cleanup);
  const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
  cleanups.push(() => server.close());
  const url = options.serverUrl ? await options.serverUrl(server) : server.url;
  const spool = createFileEventSpool(join(dir.path, 'runner', 'attempts'));
  const runner: Runner = createRunner({
    client: createCoordClient({ baseUrl: url, token: server.token, minRetryDelayMs: 50, maxRetryDelayMs: 200 }),
    identity: { machineId: 'resilience-machine', name: 'resilient', platform: 'linux', arch: 'x64', version: 'test' },
    agents: [createDemoAgent()],
    local: createLocalWorkspaces({ root: join(dir.path, 'runner', 'work') }),
    spool,
    timings: { claimWaitMs: 1_000, ...(options.leaseRenewMs ? { leaseRenewMs: options.leaseRenewMs } : {}) },
    eventBatch: { intervalMs: 20 },
  });
  // Keep every event, so a test can wait for one that already happened.
  const events = new ReplaySubject<RunnerEvent>();
  runner.events$.subscribe(events);
  cleanups.push(() => runner.stop());
  await runner.start();
  const submit = (job: JobSubmission) => createCoordClient({ baseUrl: server.url, token: server.token }).submitJob('local', job);
  const serverEvents = async (attemptId: string) =>
    (await createCoordClient({ baseUrl: server.url, token: server.token }).getEvents(attemptId, 0, 1000)).events;
  return { server, runner, events, spool, submit, serverEvents };
}

const waitFor = <T extends RunnerEvent>(events: ReplaySubject<RunnerEvent>, match: (e: RunnerEvent) => e is T): Promise<T> =>
  firstValueFrom(events.pipe(filter(match)));

function expectGapless(events: AttemptEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
}

describe('the runner through failures', () => {
  it('loses and duplicates no event through a network outage in the middle of a job', async () => {
    let proxy!: Awaited<ReturnType<typeof startTcpProxy>>;
    const { server, events, spool, submit, serverEvents } = await setup({
      serverUrl: async (s) => {
        proxy = await startTcpProxy(new URL(s.url));
        cleanups.push(() => proxy.close());
        return proxy.url;
      },
    });
    const job = await submit({
      title: 'Survive an outage',
      instructions: 'Print for a while, then write a file.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          { type: 'say', text: 'starting' },
          // Prints a line every 50 ms for ~1.5 s: events keep coming while the network is down.
          { type: 'run', command: [process.execPath, '-e', 'let i=0;const t=setInterval(()=>{console.log("tick",i++);if(i>=30)clearInterval(t)},50)'] },
          { type: 'write', path: 'out.txt', content: 'made it\n' },
        ],
      },
      routing: { mode: 'any' },
    });
    await waitFor(events, (e): e is RunnerEvent => e.type === 'job.agent' && e.event.type === 'tool.output');
    proxy.down();
    await waitFor(events, (e): e is RunnerEvent => e.type === 'runner.error' && e.error.code === 'api.network');
    // Stay down until the agent has finished its command: its output piles up in the spool.
    await waitFor(events, (e): e is RunnerEvent => e.type === 'job.agent' && e.event.type === 'tool.completed');
    proxy.up();

    const finished = await waitFor(events, (e): e is Extract<RunnerEvent, { type: 'job.finished' }> => e.type === 'job.finished');
    expect(finished.outcome).toBe('succeeded');
    const view: JobView = await eventually(async () => {
      const j = await createCoordClient({ baseUrl: server.url, token: server.token }).getJob(job.id);
      return j.status === 'done' ? j : undefined;
    });
    const attempt = view.attempts[0]!;
    const stored = await serverEvents(attempt.id);
    expectGapless(stored);
    expect(stored).toHaveLength(spool.lastSeq(attempt.id));
    expect(attempt.eventsAcked).toBe(stored.length);
    const ticks = stored.filter((e) => e.type === 'job.agent' && JSON.stringify(e.data).includes('tick'));
    expect(ticks.length).toBeGreaterThan(0);
    expect(stored.at(-1)!.type).toBe('job.finished');
  });

  it('stops the work at once and reports nothing more when the server gives the lease away', async () => {
    const { server, events, submit, serverEvents } = await setup({ leaseRenewMs: 100 });
    const job = await submit({
      title: 'Lose the lease',
      instructions: 'Run for a long time.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [{ type: 'run', command: [process.execPath, '-e', 'console.log("pid", process.pid); setTimeout(() => {}, 60000)'] }],
      },
      routing: { mode: 'any' },
      maxAttempts: 1,
    });
    const output = await waitFor(
      events,
      (e): e is Extract<RunnerEvent, { type: 'job.agent' }> =>
        e.type === 'job.agent' && e.event.type === 'tool.output' && e.event.chunk.includes('pid'),
    );
    const pid = Number(/pid (\d+)/.exec((output.event as { chunk: string }).chunk)![1]);
    expect(process.kill(pid, 0)).toBe(true);

    // The server expires the lease (as if renewals had stopped reaching it) and fails the job.
    expect(sweepExpiredLeases(server.store, Date.now() + 10 * 60_000)).toBe(1);
    await waitFor(events, (e): e is RunnerEvent => e.type === 'job.state' && e.state === 'lease_lost');

    // The agent's command is gone.
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 10_000, 'the agent command to be killed');
    const view = await createCoordClient({ baseUrl: server.url, token: server.token }).getJob(job.id);
    expect(view.status).toBe('failed');
    expect(view.attempts).toHaveLength(1);
    expect(view.attempts[0]).toMatchObject({ status: 'lost', summary: null, error: null });
    const stored = await serverEvents(view.attempts[0]!.id);
    expect(stored.map((e) => e.type)).not.toContain('job.finished');
  });
});
