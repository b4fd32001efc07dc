import { existsSync } from 'node:fs';
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
import { firstValueFrom, filter, ReplaySubject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { eventually, processGone, tempDir } from './helpers/cli.js';
import { longRunningJob } from './helpers/jobs.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

async function setup(
  options: {
    serverUrl?: (server: LocalServer) => Promise<string>;
    /** Other URLs the server is reached by (it answers only to its own names). */
    publicUrls?: string[];
    leaseRenewMs?: number;
  } = {},
) {
  const dir = tempDir('resilience');
  onCleanup(dir.cleanup);
  const server = await startLocalServer({
    dataDir: join(dir.path, 'server'),
    publicUrls: options.publicUrls,
  });
  onCleanup(() => server.close());
  const url = options.serverUrl ? await options.serverUrl(server) : server.url;
  const spool = createFileEventSpool(join(dir.path, 'runner', 'attempts'));
  /** A runner process's worth of wiring; a second call is another machine. */
  const startRunner = async (name: string) => {
    const runner: Runner = createRunner({
      client: createCoordClient({
        baseUrl: url,
        token: server.token,
        minRetryDelayMs: 50,
        maxRetryDelayMs: 200,
      }),
      identity: { machineId: `machine-${name}`, name, platform: 'linux', arch: 'x64', version: 'test' },
      agents: [createDemoAgent()],
      local: createLocalWorkspaces({ root: join(dir.path, name, 'work') }),
      spool,
      timings: {
        claimWaitMs: 1_000,
        ...(options.leaseRenewMs ? { leaseRenewMs: options.leaseRenewMs } : {}),
      },
      eventBatch: { intervalMs: 20 },
      stopGraceMs: 5_000,
    });
    // Keep every event, so a test can wait for one that already happened.
    const events = new ReplaySubject<RunnerEvent>();
    runner.events$.subscribe(events);
    onCleanup(() => runner.stop());
    await runner.start();
    return { runner, events };
  };
  const { runner, events } = await startRunner('first');
  const client = createCoordClient({ baseUrl: server.url, token: server.token });
  const submit = (job: JobSubmission) => client.submitJob('local', job);
  const serverEvents = async (attemptId: string) => (await client.getEvents(attemptId, 0, 1000)).events;
  const workRootOf = (name: string) => join(dir.path, name, 'work');
  return { server, client, runner, events, spool, submit, serverEvents, startRunner, workRootOf };
}

const waitFor = <T extends RunnerEvent>(
  events: ReplaySubject<RunnerEvent>,
  match: (e: RunnerEvent) => e is T,
): Promise<T> => firstValueFrom(events.pipe(filter(match)));

/** The pid the long-running step printed. */
async function agentCommandPid(events: ReplaySubject<RunnerEvent>): Promise<number> {
  const output = await waitFor(
    events,
    (e): e is Extract<RunnerEvent, { type: 'job.agent' }> =>
      e.type === 'job.agent' && e.event.type === 'tool.output' && e.event.chunk.includes('pid'),
  );
  return Number(/pid (\d+)/.exec((output.event as { chunk: string }).chunk)![1]);
}

function expectGapless(events: AttemptEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
}

describe('the runner through failures', () => {
  it('loses and duplicates no event through a network outage in the middle of a job', async () => {
    // The proxy starts first: the server must know its address to answer requests through it.
    let target: URL | undefined;
    const proxy = await startTcpProxy(() => target!);
    onCleanup(() => proxy.close());
    const { server, events, spool, submit, serverEvents } = await setup({
      publicUrls: [proxy.url],
      serverUrl: async (s) => {
        target = new URL(s.url);
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
          // Prints a line every 50 ms for ~3 s: events keep coming while the network is down.
          {
            type: 'run',
            command: [
              process.execPath,
              '-e',
              'let i=0;const t=setInterval(()=>{console.log("tick",i++);if(i>=60)clearInterval(t)},50)',
            ],
          },
          { type: 'write', path: 'out.txt', content: 'made it\n' },
        ],
      },
      routing: { mode: 'any' },
    });
    await waitFor(events, (e): e is RunnerEvent => e.type === 'job.agent' && e.event.type === 'tool.output');
    proxy.down();
    await waitFor(
      events,
      (e): e is RunnerEvent => e.type === 'runner.error' && e.error.code === 'api.network',
    );
    // Stay down until the agent has finished its command: its output piles up in the spool.
    await waitFor(
      events,
      (e): e is RunnerEvent => e.type === 'job.agent' && e.event.type === 'tool.completed',
    );
    proxy.up();

    const finished = await waitFor(
      events,
      (e): e is Extract<RunnerEvent, { type: 'job.finished' }> => e.type === 'job.finished',
    );
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
    const job = await submit(longRunningJob('Lose the lease', { maxAttempts: 1 }));
    const pid = await agentCommandPid(events);
    expect(process.kill(pid, 0)).toBe(true);

    // The server expires the lease (as if renewals had stopped reaching it) and fails the job.
    expect(sweepExpiredLeases(server.store, Date.now() + 10 * 60_000)).toBe(1);
    await waitFor(events, (e): e is RunnerEvent => e.type === 'job.state' && e.state === 'lease_lost');

    // The agent's command is gone.
    await processGone(pid);
    const view = await createCoordClient({ baseUrl: server.url, token: server.token }).getJob(job.id);
    expect(view.status).toBe('failed');
    expect(view.attempts).toHaveLength(1);
    expect(view.attempts[0]).toMatchObject({ status: 'lost', summary: null, error: null });
    const stored = await serverEvents(view.attempts[0]!.id);
    expect(stored.map((e) => e.type)).not.toContain('job.finished');
  });

  it('cancels a running job from the web: the agent is killed and the job ends Cancelled', async () => {
    // Lease renewals are a minute apart: the cancel can only arrive in time through the push hint.
    const { client, events, submit, serverEvents, workRootOf } = await setup({ leaseRenewMs: 60_000 });
    const job = await submit(longRunningJob('Cancel me'));
    const pid = await agentCommandPid(events);

    await client.cancelJob(job.id);
    const finished = await waitFor(
      events,
      (e): e is Extract<RunnerEvent, { type: 'job.finished' }> => e.type === 'job.finished',
    );
    expect(finished.outcome).toBe('cancelled');
    // The agent process had exited before the runner reported the job finished.
    const seen: RunnerEvent[] = [];
    events.subscribe((e) => seen.push(e)).unsubscribe();
    const exitedAt = seen.findIndex((e) => e.type === 'job.agent' && e.event.type === 'process.exited');
    expect(exitedAt).toBeGreaterThan(-1);
    expect(exitedAt).toBeLessThan(seen.indexOf(finished));
    await processGone(pid);
    const view = await eventually(async () => {
      const j = await client.getJob(job.id);
      return j.status === 'cancelled' ? j : undefined;
    });
    expect(view.attempts[0]!.status).toBe('cancelled');
    // The agent is gone, so is its scratch directory: removed once the report is delivered.
    await eventually(async () => (existsSync(join(workRootOf('first'), job.id)) ? undefined : true));
    const stored = await serverEvents(view.attempts[0]!.id);
    expectGapless(stored);
    expect(stored.at(-1)).toMatchObject({ type: 'job.finished', data: { outcome: 'cancelled' } });
  });

  it('stops gracefully: the agent finishes its step, the job is requeued, and the next attempt resumes the session', async () => {
    const { client, runner, events, submit, startRunner, workRootOf } = await setup();
    const job = await submit({
      title: 'Stop me gracefully',
      instructions: 'Two steps.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          {
            type: 'run',
            command: [
              process.execPath,
              '-e',
              'console.log("working"); setTimeout(() => console.log("step done"), 1500)',
            ],
          },
          { type: 'write', path: 'second-step.txt', content: 'done\n' },
        ],
      },
      routing: { mode: 'any' },
    });
    const started = await waitFor(
      events,
      (e): e is Extract<RunnerEvent, { type: 'job.agent' }> =>
        e.type === 'job.agent' && e.event.type === 'session.started',
    );
    const sessionId = (started.event as { sessionId: string }).sessionId;
    await waitFor(events, (e): e is RunnerEvent => e.type === 'job.agent' && e.event.type === 'tool.output');
    await runner.stop({ mode: 'graceful' });

    const stopped = await waitFor(
      events,
      (e): e is Extract<RunnerEvent, { type: 'job.finished' }> => e.type === 'job.finished',
    );
    expect(stopped.outcome).toBe('stopped');
    // The running step was allowed to finish; the next one never started.
    const agentEvents = (await firstValueFrom(events.pipe(toArray()))).flatMap((e) =>
      e.type === 'job.agent' ? [e.event] : [],
    );
    expect(agentEvents.some((e) => e.type === 'tool.output' && e.chunk.includes('step done'))).toBe(true);
    expect(agentEvents.some((e) => e.type === 'tool.started' && e.name === 'write')).toBe(false);
    const requeued = await client.getJob(job.id);
    expect(requeued.status).toBe('ready');
    // A stopped attempt keeps its work tree (its session may be resumed; people may look).
    expect(existsSync(join(workRootOf('first'), job.id, 'attempt-1'))).toBe(true);
    expect(requeued.attempts[0]).toMatchObject({ status: 'stopped', sessionId });

    // Another runner takes attempt 2 and resumes the same agent session.
    const second = await startRunner('second');
    const resumed = await waitFor(
      second.events,
      (e): e is Extract<RunnerEvent, { type: 'job.agent' }> =>
        e.type === 'job.agent' && e.event.type === 'session.started',
    );
    expect(resumed.event).toMatchObject({ sessionId, resumed: true });
    const done = await eventually(async () => {
      const j = await client.getJob(job.id);
      return j.status === 'done' ? j : undefined;
    });
    expect(done.attempts.map((a) => [a.number, a.status])).toEqual([
      [1, 'stopped'],
      [2, 'succeeded'],
    ]);
  });
});
