import { Subject, firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { JobEvent, RunnerEvent } from '../events/runner-event.js';
import type { ActiveAttemptView, Runner } from '../runner/runner.js';
import { createMemoryEventSpool } from '../store/event-spool.js';
import {
  CONTROL_API_VERSION,
  controlAnswerSchemas,
  controlPushSchema,
  type ControlPush,
} from './control-api.js';
import { createControlService } from './control-service.js';
import { createMemoryHistoryStore } from './history-store.js';
import { ManualClock } from '../../test/manual-clock.js';

/**
 * A runner's public face driven by hand: its events are spooled then emitted, in that order, as
 * the real runner's one door for job events does.
 */
function handRunner() {
  const subject = new Subject<RunnerEvent>();
  const spool = createMemoryEventSpool();
  const active = new Map<string, ActiveAttemptView>();
  const answers: string[] = [];
  const stops: string[] = [];
  const signInChecks: number[] = [];
  /** What a sign-in check does (the test says; by default nothing changes). */
  const hooks = { onSignInCheck: () => {} };
  const emit = (event: RunnerEvent) => {
    if ('attemptId' in event) {
      const { type, at, jobId: _j, attemptId, ...data } = event as JobEvent;
      spool.append(attemptId, { type, at: new Date(at).toISOString(), data });
    }
    subject.next(event);
  };
  const runner: Runner = {
    events$: subject.asObservable(),
    runnerId: 'run-1',
    start: () => Promise.reject(new Error('not used')),
    stop: async (options) => void stops.push(options?.mode ?? 'drain'),
    hasInteraction: () => false,
    answer: async (id, answer) => {
      answers.push(id);
      return { won: true, by: 'runner', answer };
    },
    checkSignIn: async () => {
      signInChecks.push(Date.now());
      hooks.onSignInCheck();
      return true;
    },
    activeAttempts: () => [...active.values()],
    stopAttempt: (attemptId) => {
      stops.push(`attempt ${attemptId}`);
      return active.has(attemptId);
    },
  };
  return {
    runner,
    spool,
    emit,
    active,
    answers,
    stops,
    signInChecks,
    hooks,
    complete: () => subject.complete(),
  };
}

const at = 1_700_000_000_000;
const ids = { jobId: 'job-1', attemptId: 'att-1' };

function setup() {
  const hand = handRunner();
  const history = createMemoryHistoryStore({}, () => at);
  const clock = new ManualClock();
  clock.advance(at + 5000);
  const service = createControlService({
    runner: hand.runner,
    spool: hand.spool,
    history,
    server: 'http://127.0.0.1:9',
    capacity: 2,
    runnerVersion: '0.1.0',
    stateDir: '/state',
    clock,
  });
  const call = (body: unknown) => service.call({ version: CONTROL_API_VERSION, call: body });
  const claim = () => {
    hand.active.set('att-1', {
      ...ids,
      attemptNumber: 2,
      title: 'Fix it',
      state: 'running',
      branch: 'coord/fix-it-0a1b2c3d',
    });
    hand.emit({
      type: 'job.claimed',
      at,
      ...ids,
      attemptNumber: 2,
      workspaceId: 'ws',
      title: 'Fix it',
      agent: 'demo',
    });
  };
  return { ...hand, history, clock, service, call, claim };
}

describe('the control service', () => {
  it('reads the history once soon after it starts (on its clock), so the first look at it does not wait', () => {
    const h = setup();
    let reads = 0;
    const size = h.history.size.bind(h.history);
    h.history.size = () => (reads++, size());
    expect(reads).toBe(0);
    h.clock.advance(199);
    expect(reads).toBe(0);
    h.clock.advance(1);
    expect(reads).toBe(1);
  });

  it('derives the status from the events: agent, elapsed time, last line, waiting interactions', async () => {
    const s = setup();
    s.emit({ type: 'runner.status', at, status: 'busy', runnerId: 'run-1' });
    s.claim();
    s.emit({
      type: 'job.agent',
      at,
      ...ids,
      event: { type: 'message.completed', role: 'assistant', text: 'one\ntwo\n' },
    });
    s.emit({
      type: 'interaction.requested',
      at,
      ...ids,
      interactionId: 'int-1',
      request: { kind: 'approval', toolName: 'Bash', summary: 'ls', input: {} },
    });
    const reply = await s.call({ method: 'status' });
    expect(reply.ok).toBe(true);
    const status = controlAnswerSchemas.status.parse((reply as { result: unknown }).result);
    expect(status.connections).toEqual([
      { server: 'http://127.0.0.1:9', runnerId: 'run-1', status: 'busy', message: null, since: at },
    ]);
    expect(status.active).toEqual([
      expect.objectContaining({
        agent: 'demo',
        state: 'running',
        elapsedMs: 5000,
        lastLine: 'two',
        branch: 'coord/fix-it-0a1b2c3d',
      }),
    ]);
    expect(status.waiting.map((w) => w.interactionId)).toEqual(['int-1']);

    expect(
      await s.call({
        method: 'answer',
        interactionId: 'int-1',
        answer: { kind: 'approval', decision: 'deny' },
      }),
    ).toMatchObject({ ok: true, result: { won: true } });
    expect(
      await s.call({
        method: 'answer',
        interactionId: 'int-9',
        answer: { kind: 'approval', decision: 'deny' },
      }),
    ).toMatchObject({ ok: false, error: { code: 'control.not_found' } });
    expect(s.answers).toEqual(['int-1']);
  });

  it('reads a status from a runner older than the branch field with no branch, and a local job with none', async () => {
    const s = setup();
    s.claim();
    const sent = ((await s.call({ method: 'status' })) as { result: { active: Record<string, unknown>[] } })
      .result;
    const { branch: sentBranch, ...older } = sent.active[0]!;
    expect(sentBranch).toBe('coord/fix-it-0a1b2c3d');
    const parsed = controlAnswerSchemas.status.parse({ ...sent, active: [older] });
    expect(parsed.active[0]).toMatchObject({ jobId: 'job-1', branch: null });

    s.active.set('att-1', { ...s.active.get('att-1')!, branch: null });
    const local = controlAnswerSchemas.status.parse(
      ((await s.call({ method: 'status' })) as { result: unknown }).result,
    );
    expect(local.active[0]!.branch).toBeNull();
  });

  it('records each finished attempt in the history with its usage and duration', async () => {
    const s = setup();
    s.claim();
    expect(await s.call({ method: 'job.stop', job: 'job-1' })).toEqual({
      ok: true,
      result: { jobId: 'job-1', attemptId: 'att-1' },
    });
    expect(s.stops).toEqual(['attempt att-1']);
    for (const n of [10, 20]) {
      s.emit({
        type: 'job.agent',
        at,
        ...ids,
        event: { type: 'usage', inputTokens: n, outputTokens: 1, costUsd: 0.5, cumulative: false },
      });
    }
    s.active.clear();
    s.emit({
      type: 'job.finished',
      at: at + 3000,
      ...ids,
      outcome: 'failed',
      summary: '',
      pullRequest: null,
      outputs: null,
      error: { code: 'agent.crashed', message: 'boom', retryable: true, details: { x: 1 } },
    });
    const reply = await s.call({ method: 'history', filter: { outcome: ['failed'] } });
    expect(reply).toMatchObject({
      ok: true,
      result: {
        entries: [
          {
            attemptId: 'att-1',
            attemptNumber: 2,
            agent: 'demo',
            workspaceId: 'ws',
            durationMs: 3000,
            error: { code: 'agent.crashed', message: 'boom', retryable: true },
            usage: { inputTokens: 30, outputTokens: 2, costUsd: 1 },
          },
        ],
      },
    });
  });

  it('follows a log from the spool, then live, with no gap and no repeat, until the attempt ends', async () => {
    const s = setup();
    s.claim();
    s.emit({ type: 'job.log', at, ...ids, level: 'info', message: 'before' });
    const sub = s.service.subscribe({
      version: CONTROL_API_VERSION,
      subscribe: { topic: 'log', job: 'job-1' },
    });
    if (!('pushes$' in sub)) throw new Error(sub.error.message);
    const pushes = firstValueFrom(sub.pushes$.pipe(toArray()));
    s.emit({ type: 'job.log', at, ...ids, level: 'info', message: 'after' });
    s.active.clear();
    s.emit({
      type: 'job.finished',
      at,
      ...ids,
      outcome: 'succeeded',
      summary: 'ok',
      pullRequest: null,
      outputs: null,
      error: null,
    });
    const all: ControlPush[] = await pushes;
    for (const push of all) controlPushSchema.parse(push);
    const seqs = all.flatMap((p) => (p.kind === 'log' ? p.page.events.map((e) => e.seq) : []));
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(all.at(-1)).toEqual({ kind: 'end', reason: 'attempt_finished' });
  });

  it('ends a follow that starts after the finish was spooled, while the attempt still reports', async () => {
    const s = setup();
    s.claim();
    // Spooled, but the attempt is still active (delivering its completion) and says nothing more.
    s.emit({
      type: 'job.finished',
      at,
      ...ids,
      outcome: 'succeeded',
      summary: 'ok',
      pullRequest: null,
      outputs: null,
      error: null,
    });
    const sub = s.service.subscribe({
      version: CONTROL_API_VERSION,
      subscribe: { topic: 'log', job: 'job-1' },
    });
    if (!('pushes$' in sub)) throw new Error(sub.error.message);
    const all: ControlPush[] = await firstValueFrom(sub.pushes$.pipe(toArray()));
    expect(all.flatMap((p) => (p.kind === 'log' ? p.page.events.map((e) => e.type) : []))).toEqual([
      'job.claimed',
      'job.finished',
    ]);
    expect(all.at(-1)).toEqual({ kind: 'end', reason: 'attempt_finished' });
  });

  it('says when the runner is signed out and what to do, and reads the sign-in again when asked', async () => {
    const s = setup();
    const message =
      "Signed out: the Coord server refuses this runner's token. To go on, run `coord-runner login`.";
    s.emit({ type: 'runner.status', at, status: 'signed_out', runnerId: 'run-1', message });
    const statusOf = async () =>
      controlAnswerSchemas.status.parse(((await s.call({ method: 'status' })) as { result: unknown }).result)
        .connections[0];
    expect(await statusOf()).toMatchObject({ status: 'signed_out', message });
    expect(s.signInChecks).toHaveLength(1);
    // The person signed in meanwhile: the check finds the new token before the snapshot is taken.
    s.hooks.onSignInCheck = () =>
      s.emit({ type: 'runner.status', at: at + 1, status: 'idle', message: 'Signed in again' });
    expect(await statusOf()).toMatchObject({ status: 'idle', message: 'Signed in again' });
    expect(s.signInChecks).toHaveLength(2);
    // Signed in: a status call reads nothing.
    await statusOf();
    expect(s.signInChecks).toHaveLength(2);
  });

  it('refuses another version, an unknown job and a malformed call, each with a clear code', async () => {
    const s = setup();
    expect(await s.service.call({ version: 99, call: { method: 'status' } })).toMatchObject({
      ok: false,
      error: { code: 'control.unsupported_version', message: expect.stringContaining('version 99') },
    });
    // A client of version 2 cannot read an answer resolved `withdrawn`: it is refused, not misled.
    expect(await s.service.call({ version: 2, call: { method: 'status' } })).toMatchObject({
      ok: false,
      error: { code: 'control.unsupported_version', message: expect.stringContaining('version 2') },
    });
    expect(await s.call({ method: 'log', job: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'control.not_found' },
    });
    expect(await s.call({ method: 'stop', mode: 'sideways' })).toMatchObject({
      ok: false,
      error: { code: 'control.bad_request' },
    });
    expect(await s.call({ method: 'agents.list' })).toMatchObject({
      ok: false,
      error: { code: 'control.unavailable' },
    });
  });

  it('stops the runner in the mode asked, and ends subscriptions when it stops', async () => {
    const s = setup();
    const sub = s.service.subscribe({ version: CONTROL_API_VERSION, subscribe: { topic: 'events' } });
    if (!('pushes$' in sub)) throw new Error(sub.error.message);
    const pushes = firstValueFrom(sub.pushes$.pipe(toArray()));
    expect(await s.call({ method: 'stop', mode: 'graceful' })).toEqual({
      ok: true,
      result: { mode: 'graceful', active: 0 },
    });
    expect(s.stops).toEqual(['graceful']);
    // `stop --now` is the runner's own forced stop: agents end at once and are reported stopped.
    expect(await s.call({ method: 'stop', mode: 'force' })).toEqual({
      ok: true,
      result: { mode: 'force', active: 0 },
    });
    expect(s.stops).toEqual(['graceful', 'force']);
    expect(await s.call({ method: 'job.stop', job: 'job-1' })).toMatchObject({
      ok: false,
      error: { code: 'control.not_found' },
    });
    s.emit({ type: 'runner.status', at, status: 'stopped' });
    s.complete();
    expect((await pushes).map((p) => p.kind)).toEqual(['event', 'end']);
  });
});
