import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor, type SnapshotFrom } from 'xstate';
import { CoordError, type ErrorPayload } from '../errors.js';
import type { AgentResult } from '../runner/ports.js';
import {
  attemptMachine,
  attemptStateOf,
  type AttemptMachineInput,
  type Publication,
  type ReportInput,
} from './attempt-machine.js';
import { deferred } from '../../test/deferred.js';

const result = (status: AgentResult['status'], error: ErrorPayload | null = null): AgentResult => ({
  status,
  sessionId: 'sess-1',
  summary: `agent ${status}`,
  usage: { inputTokens: 10, outputTokens: 5 },
  error,
});
const pr: Publication = {
  outcome: 'succeeded',
  pullRequest: { url: 'https://forge.example/o/r/pull/7', number: 7, branch: 'coord/job-1' },
  outputs: null,
};

/** Every actor is a promise the test settles; what each actor was given is recorded. */
function harness(input: Partial<AttemptMachineInput> = {}) {
  const prepare = deferred<{ workDir: string }>();
  const agent = deferred<AgentResult>();
  const interrupt = deferred<void>();
  const publish = deferred<Publication>();
  const report = deferred<void>();
  const calls = {
    prepare: 0,
    runAgent: [] as Array<{ workDir: string; resumeSessionId: string | null; retry: number }>,
    interruptAgent: 0,
    interruptGrace: [] as Array<number | null>,
    publish: [] as Array<{ workDir: string; agentResult: AgentResult }>,
    report: [] as ReportInput[],
    agentSignal: null as AbortSignal | null,
    /** Checkpoints and actor starts, in order. */
    order: [] as string[],
  };
  const machine = attemptMachine.provide({
    actions: { checkpoint: (_, { step }) => void calls.order.push(`checkpoint ${step}`) },
    actors: {
      prepare: fromPromise(async () => {
        calls.order.push('prepare');
        calls.prepare++;
        return prepare.promise;
      }),
      runAgent: fromPromise(async ({ input, signal }) => {
        calls.order.push('runAgent');
        calls.runAgent.push(input);
        calls.agentSignal = signal;
        return agent.promise;
      }),
      interruptAgent: fromPromise(async ({ input }) => {
        calls.interruptAgent++;
        calls.interruptGrace.push(input.graceMs);
        return interrupt.promise;
      }),
      publish: fromPromise(async ({ input }) => {
        calls.order.push('publish');
        calls.publish.push(input);
        return publish.promise;
      }),
      report: fromPromise(async ({ input }) => {
        calls.order.push('report');
        calls.report.push(input);
        return report.promise;
      }),
    },
  });
  const actor = createActor(machine, {
    input: { jobId: 'job-1', attemptId: 'att-1', rejection: null, ...input },
  });
  const seen: unknown[] = [];
  actor.subscribe((s) => seen.push(s.value));
  actor.start();
  const reach = (state: string | Record<string, string>) =>
    waitFor(actor, (s: SnapshotFrom<typeof attemptMachine>) => s.matches(state as never), { timeout: 2_000 });
  return { actor, prepare, agent, interrupt, publish, report, calls, seen, reach };
}

describe('attemptMachine', () => {
  it('runs the happy path claimed → preparing → running → publishing → reporting → done', async () => {
    const h = harness();
    expect(h.actor.getSnapshot().value).toBe('preparing');
    h.prepare.resolve({ workDir: '/tmp/work' });
    await h.reach({ running: 'working' });
    expect(h.calls.runAgent).toEqual([{ workDir: '/tmp/work', resumeSessionId: null, retry: 0 }]);
    h.agent.resolve(result('completed'));
    await h.reach('publishing');
    expect(h.calls.publish[0]).toEqual({ workDir: '/tmp/work', agentResult: result('completed') });
    h.publish.resolve(pr);
    await h.reach('reporting');
    expect(h.calls.report).toEqual([
      { finish: { outcome: 'succeeded', error: null }, agentResult: result('completed'), publication: pr },
    ]);
    h.report.resolve();
    await h.reach('done');
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.seen).toEqual(['preparing', { running: 'working' }, 'publishing', 'reporting', 'done']);
    expect(h.calls.agentSignal?.aborted).toBe(false);
  });

  it('reports no_changes when publishing found nothing to deliver', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    h.agent.resolve(result('completed'));
    h.publish.resolve({ outcome: 'no_changes', pullRequest: null, outputs: null });
    await h.reach('reporting');
    expect(h.calls.report[0]?.finish).toEqual({ outcome: 'no_changes', error: null });
  });

  it('reports failed with the error payload when prepare fails, without running the agent', async () => {
    const h = harness();
    h.prepare.reject(
      new CoordError('git.clone_failed', 'Cannot clone https://forge/o/r.git', { retryable: true }),
    );
    await h.reach('reporting');
    expect(h.calls.runAgent).toEqual([]);
    expect(h.calls.report[0]).toEqual({
      finish: {
        outcome: 'failed',
        error: { code: 'git.clone_failed', message: 'Cannot clone https://forge/o/r.git', retryable: true },
      },
      agentResult: null,
      publication: null,
    });
  });

  it("reports the agent's own error when it ends failed, without publishing", async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    const error = { code: 'agent.crashed', message: 'exit code 137', retryable: true };
    h.agent.resolve(result('failed', error));
    await h.reach('reporting');
    expect(h.calls.publish).toEqual([]);
    expect(h.calls.report[0]?.finish).toEqual({ outcome: 'failed', error });
    expect(h.calls.report[0]?.agentResult?.sessionId).toBe('sess-1');
  });

  it('reports failed when the runAgent actor itself throws', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    h.agent.reject(new CoordError('agent.spawn_failed', 'ENOENT claude'));
    await h.reach('reporting');
    expect(h.calls.report[0]?.finish.error?.code).toBe('agent.spawn_failed');
  });

  it('reports failed when publishing fails', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    h.agent.resolve(result('completed'));
    h.publish.reject(new CoordError('git.push_rejected', 'rejected'));
    await h.reach('reporting');
    expect(h.calls.report[0]?.finish).toMatchObject({
      outcome: 'failed',
      error: { code: 'git.push_rejected' },
    });
    expect(h.calls.report[0]?.agentResult).toEqual(result('completed'));
  });

  it('goes straight to reporting with a rejection', async () => {
    const rejection = { code: 'job.invalid_payload', message: 'job.spec.title: Too small', retryable: false };
    const h = harness({ rejection });
    await h.reach('reporting');
    expect(h.calls.prepare).toBe(0);
    expect(h.calls.report[0]).toEqual({
      finish: { outcome: 'failed', error: rejection },
      agentResult: null,
      publication: null,
    });
    h.report.resolve();
    await h.reach('done');
  });

  it('ends done even when report fails', async () => {
    const h = harness({ rejection: { code: 'x', message: 'y', retryable: false } });
    h.report.reject(new Error('network'));
    await h.reach('done');
  });

  it('CANCEL while running reports cancelled and aborts the agent', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    await h.reach({ running: 'working' });
    const signal = h.calls.agentSignal;
    expect(signal?.aborted).toBe(false);
    h.actor.send({ type: 'CANCEL', reason: 'Cancelled by Ada' });
    await h.reach('reporting');
    expect(signal?.aborted).toBe(true);
    expect(h.calls.report[0]?.finish).toEqual({
      outcome: 'cancelled',
      error: { code: 'job.cancelled', message: 'Cancelled by Ada', retryable: false },
    });
    // The agent settling afterwards changes nothing.
    h.agent.resolve(result('completed'));
    h.report.resolve();
    await h.reach('done');
    expect(h.calls.publish).toEqual([]);
    expect(h.calls.report).toHaveLength(1);
  });

  it('CANCEL while preparing or publishing reports cancelled', async () => {
    const a = harness();
    a.actor.send({ type: 'CANCEL' });
    await a.reach('reporting');
    expect(a.calls.report[0]?.finish.outcome).toBe('cancelled');
    expect(a.calls.report[0]?.finish.error?.message).toBe('Cancelled by request');

    const b = harness();
    b.prepare.resolve({ workDir: '/w' });
    b.agent.resolve(result('completed'));
    await b.reach('publishing');
    b.actor.send({ type: 'CANCEL' });
    await b.reach('reporting');
    expect(b.calls.report[0]?.finish.outcome).toBe('cancelled');
  });

  it('STOP while running interrupts the agent, and an interrupted agent ends stopped', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    await h.reach({ running: 'working' });
    h.actor.send({ type: 'STOP' });
    await h.reach({ running: 'stopping' });
    await waitForValue(() => h.calls.interruptAgent === 1);
    // Graceful: the agent is not killed.
    expect(h.calls.agentSignal?.aborted).toBe(false);
    h.interrupt.resolve();
    h.agent.resolve(result('interrupted'));
    await h.reach('reporting');
    expect(h.calls.report[0]?.finish).toEqual({ outcome: 'stopped', error: null });
    expect(h.calls.report[0]?.agentResult?.sessionId).toBe('sess-1');
    expect(h.calls.publish).toEqual([]);
  });

  it("STOP gives the agent the stop's own grace, or the runner's default when it has none", async () => {
    const given = harness();
    given.prepare.resolve({ workDir: '/w' });
    await given.reach({ running: 'working' });
    given.actor.send({ type: 'STOP', graceMs: 2_500 });
    await waitForValue(() => given.calls.interruptAgent === 1);
    expect(given.calls.interruptGrace).toEqual([2_500]);

    const plain = harness();
    plain.prepare.resolve({ workDir: '/w' });
    await plain.reach({ running: 'working' });
    plain.actor.send({ type: 'STOP' });
    await waitForValue(() => plain.calls.interruptAgent === 1);
    expect(plain.calls.interruptGrace).toEqual([null]);
  });

  it('STOP_NOW kills the agent at once, also while a graceful stop waits, and reports stopped', async () => {
    const running = harness();
    running.prepare.resolve({ workDir: '/w' });
    await running.reach({ running: 'working' });
    running.actor.send({ type: 'STOP_NOW' });
    await running.reach('reporting');
    expect(running.calls.agentSignal?.aborted).toBe(true);
    expect(running.calls.interruptAgent).toBe(0);
    expect(running.calls.report[0]).toMatchObject({ finish: { outcome: 'stopped', error: null } });

    const graceful = harness();
    graceful.prepare.resolve({ workDir: '/w' });
    await graceful.reach({ running: 'working' });
    graceful.actor.send({ type: 'STOP' });
    await graceful.reach({ running: 'stopping' });
    graceful.actor.send({ type: 'STOP_NOW' });
    await graceful.reach('reporting');
    expect(graceful.calls.agentSignal?.aborted).toBe(true);
    expect(graceful.calls.report[0]?.finish).toEqual({ outcome: 'stopped', error: null });

    for (const where of ['preparing', 'publishing'] as const) {
      const h = harness();
      if (where === 'publishing') {
        h.prepare.resolve({ workDir: '/w' });
        h.agent.resolve(result('completed'));
      }
      await h.reach(where);
      h.actor.send({ type: 'STOP_NOW' });
      await h.reach('reporting');
      expect(h.calls.report[0]?.finish).toEqual({ outcome: 'stopped', error: null });
    }
  });

  it('STOP while awaiting input also stops gracefully', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    await h.reach({ running: 'working' });
    h.actor.send({ type: 'INPUT_REQUESTED' });
    await h.reach({ running: 'awaiting_input' });
    h.actor.send({ type: 'STOP' });
    await h.reach({ running: 'stopping' });
    h.agent.resolve(result('interrupted'));
    await h.reach('reporting');
    expect(h.calls.report[0]?.finish.outcome).toBe('stopped');
  });

  it('STOP with an interruptAgent that fails kills the agent and reports stopped, instead of crashing', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    await h.reach({ running: 'working' });
    h.actor.send({ type: 'STOP' });
    await h.reach({ running: 'stopping' });
    h.interrupt.reject(new Error('no such process'));
    await h.reach('reporting');
    expect(h.actor.getSnapshot().status).toBe('active');
    // The graceful way failed: the hard way is leaving `running`, which aborts the agent.
    expect(h.calls.agentSignal?.aborted).toBe(true);
    expect(h.calls.report[0]?.finish).toEqual({ outcome: 'stopped', error: null });
    h.report.resolve();
    await h.reach('done');
  });

  it('STOP while preparing reports stopped without running the agent', async () => {
    const h = harness();
    h.actor.send({ type: 'STOP' });
    await h.reach('reporting');
    expect(h.calls.report[0]?.finish).toEqual({ outcome: 'stopped', error: null });
    expect(h.calls.runAgent).toEqual([]);
  });

  it('INPUT_REQUESTED / INPUT_RESOLVED move between working and awaiting_input', async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/w' });
    await h.reach({ running: 'working' });
    h.actor.send({ type: 'INPUT_REQUESTED' });
    expect(h.actor.getSnapshot().value).toEqual({ running: 'awaiting_input' });
    h.actor.send({ type: 'INPUT_RESOLVED' });
    expect(h.actor.getSnapshot().value).toEqual({ running: 'working' });
    h.actor.send({ type: 'INPUT_REQUESTED' });
    // The agent keeps running through it: the same runAgent actor, never restarted.
    expect(h.calls.runAgent).toHaveLength(1);
    h.agent.resolve(result('completed'));
    await h.reach('publishing');
  });

  it('ignores input events outside running', async () => {
    const h = harness();
    h.actor.send({ type: 'INPUT_REQUESTED' });
    expect(h.actor.getSnapshot().value).toBe('preparing');
  });

  describe('LEASE_LOST', () => {
    const drive: Record<string, (h: ReturnType<typeof harness>) => Promise<void>> = {
      preparing: async () => undefined,
      'running.working': async (h) => {
        h.prepare.resolve({ workDir: '/w' });
        await h.reach({ running: 'working' });
      },
      'running.awaiting_input': async (h) => {
        h.prepare.resolve({ workDir: '/w' });
        await h.reach({ running: 'working' });
        h.actor.send({ type: 'INPUT_REQUESTED' });
      },
      'running.stopping': async (h) => {
        h.prepare.resolve({ workDir: '/w' });
        await h.reach({ running: 'working' });
        h.actor.send({ type: 'STOP' });
      },
      publishing: async (h) => {
        h.prepare.resolve({ workDir: '/w' });
        h.agent.resolve(result('completed'));
        await h.reach('publishing');
      },
    };

    it.each(Object.keys(drive))('from %s ends lease_lost without reporting', async (state) => {
      const h = harness();
      await drive[state]!(h);
      h.actor.send({ type: 'LEASE_LOST' });
      await h.reach('lease_lost');
      expect(h.actor.getSnapshot().status).toBe('done');
      // Whatever the actors do afterwards, nothing is reported.
      h.prepare.resolve({ workDir: '/w' });
      h.agent.resolve(result('completed'));
      h.publish.resolve(pr);
      await Promise.resolve();
      expect(h.calls.report).toEqual([]);
      expect(h.actor.getSnapshot().value).toBe('lease_lost');
    });

    it('while running aborts the agent', async () => {
      const h = harness();
      h.prepare.resolve({ workDir: '/w' });
      await h.reach({ running: 'working' });
      h.actor.send({ type: 'LEASE_LOST' });
      expect(h.calls.agentSignal?.aborted).toBe(true);
    });

    it('from reporting stops the report and ends lease_lost', async () => {
      const h = harness({ rejection: { code: 'x', message: 'y', retryable: false } });
      await h.reach('reporting');
      h.actor.send({ type: 'LEASE_LOST' });
      await h.reach('lease_lost');
      h.report.resolve();
      await Promise.resolve();
      expect(h.actor.getSnapshot().value).toBe('lease_lost');
    });

    it('after done changes nothing', async () => {
      const h = harness({ rejection: { code: 'x', message: 'y', retryable: false } });
      h.report.resolve();
      await h.reach('done');
      h.actor.send({ type: 'LEASE_LOST' });
      expect(h.actor.getSnapshot().value).toBe('done');
    });
  });
});

async function waitForValue(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('attemptStateOf', () => {
  it('names what people see after the machine: top-level states, and running sub-states but working', () => {
    expect(attemptStateOf('preparing')).toBe('preparing');
    expect(attemptStateOf({ running: 'working' })).toBe('running');
    expect(attemptStateOf({ running: 'awaiting_input' })).toBe('awaiting_input');
    expect(attemptStateOf({ running: 'stopping' })).toBe('stopping');
    expect(attemptStateOf('lease_lost')).toBe('lease_lost');
  });
});

describe('checkpoints and reattaching', () => {
  it("writes the checkpoint of each state it enters before that state's actor starts", async () => {
    const h = harness();
    h.prepare.resolve({ workDir: '/work/att-1' });
    await h.reach('running');
    h.agent.resolve(result('completed'));
    await h.reach('publishing');
    h.publish.resolve(pr);
    await h.reach('reporting');
    h.report.resolve();
    await h.reach('done');
    // The state the machine starts in is the exception: xstate starts its actor while the machine
    // itself starts, just before the entry action (redoing a prepare is harmless, and a reattached
    // attempt's checkpoint already names its step).
    expect(h.calls.order.slice(0, 2).sort()).toEqual(['checkpoint preparing', 'prepare']);
    expect(h.calls.order.slice(2)).toEqual([
      'checkpoint running',
      'runAgent',
      'checkpoint publishing',
      'publish',
      'checkpoint reporting',
      'report',
    ]);
  });

  const reattach = (over: Partial<NonNullable<AttemptMachineInput['reattach']>>) => ({
    step: 'running' as const,
    workDir: '/work/att-1',
    agentSessionId: 'sess-9',
    retries: 1,
    agentResult: null,
    publication: null,
    finish: null,
    ...over,
  });

  it('a reattached attempt at running resumes the agent in its work dir with its session and retries', async () => {
    const h = harness({ resumeSessionId: 'from-an-earlier-attempt', maxRetries: 2, reattach: reattach({}) });
    await h.reach('running');
    expect(h.calls.prepare).toBe(0);
    expect(h.calls.runAgent).toEqual([{ workDir: '/work/att-1', resumeSessionId: 'sess-9', retry: 1 }]);
    // One retry left of the two: a crash is retried once more, then the attempt fails.
    expect(h.actor.getSnapshot().context.retries).toBe(1);
  });

  it('a reattached attempt at publishing publishes what the agent did, without running it', async () => {
    const agentResult = result('completed');
    const h = harness({ reattach: reattach({ step: 'publishing', agentResult }) });
    await h.reach('publishing');
    expect(h.calls.runAgent).toEqual([]);
    expect(h.calls.publish).toEqual([{ workDir: '/work/att-1', agentResult }]);
  });

  it('a reattached attempt at reporting reports the recorded outcome and pull request', async () => {
    const agentResult = result('completed');
    const h = harness({
      reattach: reattach({
        step: 'reporting',
        agentResult,
        publication: pr,
        finish: { outcome: 'succeeded', error: null },
      }),
    });
    await h.reach('reporting');
    expect(h.calls.publish).toEqual([]);
    expect(h.calls.report).toEqual([
      { finish: { outcome: 'succeeded', error: null }, agentResult, publication: pr },
    ]);
  });

  it('a reattached attempt the runner cannot run any more is reported failed, whatever its checkpoint', async () => {
    const rejection = { code: 'agent.not_found', message: 'no such agent', retryable: false };
    const h = harness({ rejection, reattach: reattach({}) });
    await h.reach('reporting');
    expect(h.calls.runAgent).toEqual([]);
    expect(h.calls.report[0]!.finish).toEqual({ outcome: 'failed', error: rejection });
  });
});
