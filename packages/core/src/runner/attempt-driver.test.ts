import { describe, expect, it } from 'vitest';
import { fakeAttemptSystem } from '../../test/fake-attempt.js';
import { fakeLocalWorkspaces } from '../../test/fake-ports.js';
import { until } from '../../test/manual-clock.js';
import { ApiError } from '../client/api-error.js';
import { registerSecret } from '../errors.js';
import type { Reattach } from '../machine/attempt-machine.js';
import { startAttempt, type Attempt } from './attempt-driver.js';

/** One attempt driven through fake ports, a fake server and a manual clock. */
function harness(agent: Record<string, unknown> = {}) {
  const local = fakeLocalWorkspaces();
  const system = fakeAttemptSystem({ local });
  const start = (): Attempt => startAttempt(system.deps, system.claim(agent));
  const states = () => system.events.flatMap((e) => (e.type === 'job.state' ? [e.state] : []));
  return { ...system, local, start, states };
}

describe('the attempt driver', () => {
  it('runs a job through its states, spools and uploads its events, and reports it', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1, 'the agent to start');
    expect(attempt.view()).toMatchObject({ attemptId: 'att-1', title: 'Write notes', state: 'running' });
    expect(h.runs[0]!.input).toMatchObject({ workDir: '/work/att-1', resumeSessionId: null });
    h.runs[0]!.emit({ type: 'message.completed', role: 'assistant', text: 'Notes written' });
    h.runs[0]!.finish({ summary: 'Notes written', sessionId: 'sess-7' });
    await attempt.done;
    expect(h.states()).toEqual(['preparing', 'running', 'publishing', 'reporting', 'done']);
    expect(h.server.completions).toEqual([
      {
        attemptId: 'att-1',
        request: expect.objectContaining({
          outcome: 'no_changes',
          summary: 'Notes written',
          sessionId: 'sess-7',
        }),
      },
    ]);
    const types = h.server.typesOf('att-1');
    expect(types[0]).toBe('job.claimed');
    expect(types).toContain('job.agent');
    expect(types.at(-1)).toBe('job.finished');
    expect(h.server.completions[0]!.request.lastSeq).toBe(types.length);
    expect(h.local.released).toEqual(['/work/att-1']);
    expect(h.ended).toEqual(['att-1']);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.errors).toEqual([]);
  });

  it('sends a streamed answer whole once, marked as streamed, after its deltas', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.runs[0]!.emit({ type: 'message.delta', channel: 'text', text: 'All ' });
    h.runs[0]!.emit({ type: 'message.delta', channel: 'text', text: 'done' });
    h.runs[0]!.emit({ type: 'message.completed', role: 'assistant', text: 'All done' });
    h.runs[0]!.emit({ type: 'message.completed', role: 'assistant', text: 'Not streamed' });
    h.runs[0]!.finish({ summary: 'All done' });
    await attempt.done;
    const agentEvents = (h.server.events.get('att-1') ?? []).flatMap((e) =>
      e.type === 'job.agent' ? [(e.data as { event: Record<string, unknown> }).event] : [],
    );
    expect(agentEvents.filter((e) => e['type'] !== 'process.exited')).toEqual([
      { type: 'message.delta', channel: 'text', text: 'All done' },
      { type: 'message.completed', role: 'assistant', text: 'All done', streamed: true },
      { type: 'message.completed', role: 'assistant', text: 'Not streamed' },
    ]);
  });

  it('applies a cancel that a lease renewal brings: the agent is killed at once', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.server.controls.push({ type: 'cancel', reason: 'Not needed' });
    h.clock.advance(15_000);
    await attempt.done;
    expect(h.runs[0]!.calls).toContain('kill');
    expect(h.server.completions[0]!.request).toMatchObject({
      outcome: 'cancelled',
      error: { code: 'job.cancelled', message: 'Not needed' },
    });
  });

  it("passes the grace of the server's stop to the agent, and the runner's default without one", async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.server.controls.push({ type: 'stop', graceMs: 2_500 });
    h.clock.advance(15_000);
    await attempt.done;
    expect(h.runs[0]!.graces).toEqual([2_500]);
    expect(h.server.completions[0]!.request).toMatchObject({ outcome: 'stopped', error: null });

    const plain = harness();
    const other = plain.start();
    await until(() => plain.runs.length === 1);
    plain.server.controls.push({ type: 'stop' });
    plain.clock.advance(15_000);
    await other.done;
    expect(plain.runs[0]!.graces).toEqual([plain.deps.settings.stopGraceMs]);
  });

  it('a forced stop kills the agent at once and reports the attempt stopped', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    attempt.stopNow();
    await attempt.done;
    expect(h.runs[0]!.calls).toEqual(['kill']);
    expect(h.server.completions[0]!.request).toMatchObject({ outcome: 'stopped', error: null });
    expect(h.server.typesOf('att-1').at(-1)).toBe('job.finished');
    // A stopped attempt keeps its work tree (its session may be resumed).
    expect(h.local.released).toEqual([]);
  });

  it('stops an agent that passes the cost budget, and fails the attempt saying so', async () => {
    const h = harness({ maxCostUsd: 1 });
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.runs[0]!.emit({ type: 'usage', inputTokens: 1, outputTokens: 1, costUsd: 1.5, cumulative: true });
    await attempt.done;
    expect(h.runs[0]!.calls).toEqual(['interrupt']);
    expect(h.server.completions[0]!.request).toMatchObject({
      outcome: 'failed',
      error: { code: 'agent.budget_exceeded' },
    });
    expect(h.local.released).toEqual([]);
  });

  it('ends without a report once the server gave the lease away', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.server.refuseWith = new ApiError(
      {
        code: 'lease.lost',
        status: 409,
        method: 'POST',
        path: '/v1/attempts/att-1/lease',
        serverCode: 'lease.lost',
      },
      'lease lost',
      { retryable: false },
    );
    h.clock.advance(15_000);
    await attempt.done;
    expect(h.states().at(-1)).toBe('lease_lost');
    expect(h.runs[0]!.calls).toContain('kill');
    expect(h.server.completions).toEqual([]);
    expect(h.spool.unfinished()).toEqual([]);
    expect(h.events.some((e) => e.type === 'job.log' && e.message.includes('lease lost'))).toBe(true);
  });

  it('reports a job it cannot run failed at once, without starting an agent', async () => {
    const h = harness();
    const attempt = startAttempt(h.deps, h.claim({}, []));
    await attempt.done;
    expect(h.runs).toEqual([]);
    expect(h.server.completions[0]!.request).toMatchObject({
      outcome: 'failed',
      error: { code: 'agent.not_found' },
    });
  });

  it('reports the attempt failed, retryably, when its machine cannot even start', async () => {
    const h = harness();
    const fault = new Error('settings unreadable');
    const { settings } = h.deps;
    h.deps.settings = Object.defineProperty({ ...settings }, 'maxAgentRetries', {
      get: () => {
        throw fault;
      },
    });
    const attempt = h.start();
    await attempt.done;
    expect(h.runs).toEqual([]);
    expect(h.errors).toContain(fault);
    expect(h.server.completions).toEqual([
      {
        attemptId: 'att-1',
        request: expect.objectContaining({
          outcome: 'failed',
          error: {
            code: 'runner.internal',
            message: expect.stringContaining('settings unreadable'),
            retryable: true,
          },
        }),
      },
    ]);
    expect(h.server.typesOf('att-1')).toEqual(['job.claimed', 'job.log', 'job.finished']);
    // Nothing keeps renewing a lease for an attempt that does not run.
    expect(h.ended).toEqual(['att-1']);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('a machine that breaks mid-way reports the attempt failed, retryably, and ends it', async () => {
    const h = harness();
    const fault = new Error('spool unreadable');
    const { lastSeq } = h.spool;
    let broken = false;
    h.spool.lastSeq = (attemptId) => {
      if (broken) {
        broken = false;
        throw fault;
      }
      return lastSeq.call(h.spool, attemptId);
    };
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    // The checkpoint written on entering `publishing` throws, inside the machine.
    broken = true;
    h.runs[0]!.finish({ summary: 'Notes written', sessionId: 'sess-2' });
    await attempt.done;
    expect(h.errors).toContain(fault);
    expect(h.server.completions).toEqual([
      {
        attemptId: 'att-1',
        request: expect.objectContaining({
          outcome: 'failed',
          error: expect.objectContaining({ code: 'runner.internal', retryable: true }),
        }),
      },
    ]);
    expect(h.server.typesOf('att-1').at(-1)).toBe('job.finished');
    expect(h.ended).toEqual(['att-1']);
    expect(h.clock.pendingTimers).toBe(0);
  });
});

const crashed = { code: 'agent.crashed', message: 'The agent was killed by SIGKILL', retryable: true };

describe('in-place retries of transient agent failures', () => {
  it('runs a crashed agent again in the same attempt and work dir, resuming its session, after a backoff', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.runs[0]!.emit({ type: 'session.started', sessionId: 'sess-9', resumed: false });
    h.runs[0]!.finish({ status: 'failed', sessionId: null, summary: '', error: crashed });
    await until(() => h.states().includes('retrying'));
    const retry = h.events.find((e) => e.type === 'job.retry');
    expect(retry).toMatchObject({
      retry: 1,
      maxRetries: 2,
      delayMs: 1_000,
      reason: crashed,
      resumeSessionId: 'sess-9',
    });
    h.clock.advance(999);
    await new Promise((r) => setImmediate(r));
    expect(h.runs).toHaveLength(1);
    h.clock.advance(1);
    await until(() => h.runs.length === 2);
    expect(h.runs[1]!.input).toMatchObject({ workDir: '/work/att-1', resumeSessionId: 'sess-9' });
    expect(h.runs[1]!.input.earlierAttempts).toEqual([
      { number: 1, status: 'failed', summary: null, error: 'The agent was killed by SIGKILL' },
    ]);
    h.runs[1]!.finish({ sessionId: 'sess-9' });
    await attempt.done;
    expect(h.states()).toEqual([
      'preparing',
      'running',
      'retrying',
      'running',
      'publishing',
      'reporting',
      'done',
    ]);
    expect(h.server.completions).toHaveLength(1);
    expect(h.server.completions[0]!.request).toMatchObject({ outcome: 'no_changes', sessionId: 'sess-9' });
    // The retry is a job event: the server holds it in the job's history.
    expect(h.server.typesOf('att-1')).toContain('job.retry');
  });

  it('stops an agent that writes nothing for the stall time, and retries it', async () => {
    const h = harness();
    h.start();
    await until(() => h.runs.length === 1);
    h.clock.advance(59_000);
    h.runs[0]!.emit({ type: 'message.delta', channel: 'text', text: 'still here' });
    h.clock.advance(59_000);
    expect(h.runs[0]!.calls).toEqual([]);
    h.clock.advance(1_000);
    expect(h.runs[0]!.calls).toEqual(['kill']);
    await until(() => h.events.some((e) => e.type === 'job.retry'));
    expect(h.events.find((e) => e.type === 'job.retry')).toMatchObject({ reason: { code: 'agent.stalled' } });
  });

  it('gives up once the job budget is spent, saying how many tries, and asks for no new attempt', async () => {
    const h = harness();
    const attempt = h.start();
    for (let n = 1; n <= 3; n++) {
      await until(() => h.runs.length === n);
      h.runs[n - 1]!.finish({ status: 'failed', error: crashed });
      if (n < 3) {
        await until(() => h.events.filter((e) => e.type === 'job.retry').length === n);
        h.clock.advance(1_000 * 2 ** (n - 1));
      }
    }
    await attempt.done;
    expect(h.server.completions[0]!.request).toMatchObject({
      outcome: 'failed',
      error: {
        code: 'agent.crashed',
        message: `${crashed.message} (gave up after 3 tries in this attempt)`,
        retryable: false,
      },
    });
  });

  it('fails at once on a permanent failure', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.runs[0]!.finish({
      status: 'failed',
      error: { code: 'agent.failed', message: 'Invalid API key', retryable: false },
    });
    await attempt.done;
    expect(h.events.some((e) => e.type === 'job.retry')).toBe(false);
    expect(h.server.completions[0]!.request).toMatchObject({
      outcome: 'failed',
      error: { message: 'Invalid API key' },
    });
  });

  it('ends on a cancel during the backoff without starting the agent again', async () => {
    const h = harness();
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.runs[0]!.finish({ status: 'failed', error: crashed });
    await until(() => h.states().includes('retrying'));
    h.server.controls.push({ type: 'cancel' });
    attempt.renewNow();
    await attempt.done;
    expect(h.runs).toHaveLength(1);
    expect(h.server.completions[0]!.request).toMatchObject({ outcome: 'cancelled' });
    expect(h.clock.pendingTimers).toBe(0);
  });
});

describe('checkpoints and reattaching after a restart', () => {
  const checkpointOfAttempt = (h: ReturnType<typeof harness>) =>
    h.spool.unfinished().find((a) => a.attemptId === 'att-1')?.checkpoint as
      Record<string, unknown> | undefined;

  it('writes the checkpoint at each state before its work, with the session once the agent says it', async () => {
    const seen: unknown[] = [];
    const h = harness();
    // Publishing reads the outputs: by then the checkpoint already says `publishing`.
    h.local.collectOutputs = () => {
      seen.push(checkpointOfAttempt(h));
      return Promise.resolve([]);
    };
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    expect(checkpointOfAttempt(h)).toMatchObject({
      step: 'running',
      workDir: '/work/att-1',
      agentSessionId: null,
    });
    h.runs[0]!.emit({ type: 'session.started', sessionId: 'sess-4', resumed: false });
    expect(checkpointOfAttempt(h)).toMatchObject({
      step: 'running',
      agentSessionId: 'sess-4',
      nextSeq: h.spool.lastSeq('att-1') + 1,
    });
    h.runs[0]!.finish({ summary: 'Notes written', sessionId: 'sess-4' });
    await attempt.done;
    expect(seen).toEqual([
      expect.objectContaining({
        step: 'publishing',
        agentResult: expect.objectContaining({ status: 'completed', summary: 'Notes written' }),
      }),
    ]);
    // Reported: nothing is left for a restart.
    expect(h.spool.unfinished()).toEqual([]);
  });

  it("keeps the runner's secrets out of the checkpoint: the agent's summary is redacted", async () => {
    const secret = 'coordtok_checkpoint_secret_0123456789';
    registerSecret(secret);
    const seen: string[] = [];
    const h = harness();
    h.local.collectOutputs = () => {
      seen.push(JSON.stringify(checkpointOfAttempt(h)));
      return Promise.resolve([]);
    };
    const attempt = h.start();
    await until(() => h.runs.length === 1);
    h.runs[0]!.finish({ summary: `Used ${secret} to sign in` });
    await attempt.done;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('to sign in');
    expect(seen[0]).not.toContain(secret);
  });

  /** What a killed run left in the spool: the claim and two more events. */
  function leftBehind(h: ReturnType<typeof harness>): number {
    h.spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
    for (const type of ['job.claimed', 'job.state', 'job.agent'])
      h.spool.append('att-1', { type, at: '2026-01-01T00:00:00.000Z', data: {} });
    return h.spool.lastSeq('att-1');
  }
  /** How many times publishing read the outputs (what a local job's publish does). */
  function countCollections(h: ReturnType<typeof harness>): () => number {
    let collected = 0;
    h.local.collectOutputs = () => {
      collected += 1;
      return Promise.resolve([]);
    };
    return () => collected;
  }
  const at = (over: Partial<Reattach>): Reattach => ({
    step: 'running',
    workDir: '/work/att-1',
    agentSessionId: 'sess-9',
    retries: 1,
    agentResult: null,
    publication: null,
    finish: null,
    ...over,
  });

  it('resumes the agent session in the same work dir, and the seq goes on from the spool without a gap', async () => {
    const h = harness();
    const before = leftBehind(h);
    const attempt = startAttempt(h.deps, h.claim(), { at: at({}), prepared: null });
    await until(() => h.runs.length === 1);
    expect(h.runs[0]!.input).toMatchObject({ workDir: '/work/att-1', resumeSessionId: 'sess-9' });
    h.runs[0]!.emit({ type: 'session.started', sessionId: 'sess-9', resumed: true });
    h.runs[0]!.finish({ summary: 'Notes written', sessionId: 'sess-9' });
    await attempt.done;
    expect(h.states()).toEqual(['running', 'publishing', 'reporting', 'done']);
    const held = h.server.events.get('att-1')!;
    expect(held.map((e) => e.seq)).toEqual(held.map((_, i) => i + 1));
    const added = held.slice(before);
    expect(added[0]).toMatchObject({ seq: before + 1, type: 'job.log' });
    expect(JSON.stringify(added[0]!.data)).toContain('resuming agent session sess-9');
    expect(added.map((e) => e.type)).not.toContain('job.claimed');
    expect(h.server.completions).toEqual([
      {
        attemptId: 'att-1',
        request: expect.objectContaining({
          outcome: 'no_changes',
          sessionId: 'sess-9',
          lastSeq: held.length,
        }),
      },
    ]);
    expect(h.errors).toEqual([]);
  });

  it("closes what the dead run's agent asked and nobody answered: the resumed agent asks again", async () => {
    const h = harness();
    const answered: Array<[string, string]> = [];
    h.deps.client = {
      ...h.server.client,
      answerInteraction: (id: string, { answer }: { answer: { kind: string } }) => {
        answered.push([id, answer.kind]);
        return Promise.resolve({ won: true, answer, by: 'runner' });
      },
    } as typeof h.deps.client;
    leftBehind(h);
    const event = (type: string, interactionId: string) =>
      h.spool.append('att-1', { type, at: '2026-01-01T00:00:00.000Z', data: { interactionId } });
    event('interaction.requested', 'int-answered');
    event('interaction.resolved', 'int-answered');
    event('interaction.requested', 'int-left');
    const attempt = startAttempt(h.deps, h.claim(), { at: at({}), prepared: null });
    await until(() => h.runs.length === 1);
    expect(answered).toEqual([['int-left', 'withdrawn']]);
    expect(h.events).toContainEqual(
      expect.objectContaining({ type: 'interaction.resolved', interactionId: 'int-left', by: 'withdrawn' }),
    );
    h.runs[0]!.finish({});
    await attempt.done;
  });

  it('counts the retries made before the restart against the budget', async () => {
    const h = harness();
    // One retry in place allowed: the dead run made it, so this crash ends the attempt.
    h.deps.settings = { ...h.deps.settings, maxAgentRetries: 1 };
    leftBehind(h);
    const attempt = startAttempt(h.deps, h.claim(), { at: at({ retries: 1 }), prepared: null });
    await until(() => h.runs.length === 1);
    h.runs[0]!.finish({ status: 'failed', error: crashed });
    await attempt.done;
    expect(h.runs).toHaveLength(1);
    expect(h.server.completions[0]!.request).toMatchObject({
      outcome: 'failed',
      error: { code: 'agent.crashed', retryable: false },
    });
  });

  it('publishes again (idempotently) a checkpoint at publishing, without running the agent', async () => {
    const h = harness();
    const collected = countCollections(h);
    leftBehind(h);
    const agentResult = {
      status: 'completed' as const,
      sessionId: 'sess-9',
      summary: 'Notes written',
      usage: null,
      error: null,
    };
    const attempt = startAttempt(h.deps, h.claim(), {
      at: at({ step: 'publishing', agentResult }),
      prepared: null,
    });
    await attempt.done;
    expect(h.runs).toEqual([]);
    expect(collected()).toBe(1);
    expect(h.server.completions[0]!.request).toMatchObject({
      outcome: 'no_changes',
      summary: 'Notes written',
    });
  });

  it('reports what a checkpoint at reporting recorded, without publishing again', async () => {
    const h = harness();
    const collected = countCollections(h);
    leftBehind(h);
    const attempt = startAttempt(h.deps, h.claim(), {
      at: at({
        step: 'reporting',
        agentResult: {
          status: 'completed',
          sessionId: 'sess-9',
          summary: 'Notes written',
          usage: null,
          error: null,
        },
        publication: { outcome: 'succeeded', pullRequest: null, outputs: ['notes.md'] },
        finish: { outcome: 'succeeded', error: null },
      }),
      prepared: null,
    });
    await attempt.done;
    expect(h.runs).toEqual([]);
    expect(collected()).toBe(0);
    expect(h.states()).toEqual(['reporting', 'done']);
    expect(h.server.completions[0]!.request).toMatchObject({ outcome: 'succeeded', outputs: ['notes.md'] });
  });
});
