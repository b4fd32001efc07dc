import type { CompleteRequest, CompleteResponse } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/deferred.js';
import { flush, ManualClock, until } from '../../test/manual-clock.js';
import { ApiError } from '../client/api-error.js';
import type { CoordClient } from '../client/coord-client.js';
import { CoordError, isCoordError } from '../errors.js';
import { createMemoryEventSpool } from '../store/event-spool.js';
import {
  completionRequest,
  createCompletionDelivery,
  FORCED_DELIVERY_MS,
  finishedData,
  type DeliveryTarget,
} from './completion.js';
import type { EventUploader } from './event-uploader.js';

const failure = {
  code: 'agent.crashed',
  message: 'The agent crashed',
  retryable: true,
  details: { exit: 1 },
};

describe('completionRequest', () => {
  it('reports what the attempt ended with, the agent session and the last event', () => {
    const finished = finishedData(
      { outcome: 'succeeded', error: null },
      {
        status: 'completed',
        sessionId: 's-1',
        summary: 'Fixed it',
        usage: { inputTokens: 3, outputTokens: 4 },
        error: null,
      },
      { outcome: 'succeeded', pullRequest: { url: 'u', number: 1, branch: 'b' }, outputs: null },
    );
    expect(completionRequest(finished, 7)).toEqual({
      outcome: 'succeeded',
      summary: 'Fixed it',
      pullRequest: { url: 'u', number: 1, branch: 'b' },
      outputs: null,
      usage: { inputTokens: 3, outputTokens: 4 },
      sessionId: 's-1',
      lastSeq: 7,
      error: null,
    });
  });

  it('sends the failure without its details, and nothing of a gone agent', () => {
    const finished = finishedData({ outcome: 'failed', error: failure }, null, null);
    expect(completionRequest(finished, 2)).toEqual({
      outcome: 'failed',
      summary: '',
      pullRequest: null,
      outputs: null,
      usage: null,
      sessionId: null,
      lastSeq: 2,
      error: { code: 'agent.crashed', message: 'The agent crashed', retryable: true },
    });
  });
});

/** A server whose `complete` answers are scripted; events are always taken. */
function harness() {
  const clock = new ManualClock();
  const spool = createMemoryEventSpool();
  spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
  const calls: CompleteRequest[] = [];
  const answers: Array<() => Promise<CompleteResponse>> = [];
  const errors: unknown[] = [];
  const client = {
    complete: (_runner: string, _attempt: string, request: CompleteRequest) => {
      calls.push(request);
      const next = answers.shift();
      return next ? next() : Promise.resolve({ job: { id: 'job-1', status: 'succeeded' } });
    },
  } as unknown as CoordClient;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let force!: () => void;
  const forced = new Promise<void>((resolve) => (force = resolve));
  const signIn = { signedOut: false, waiters: [] as Array<() => void> };
  const signInAgain = () => {
    signIn.signedOut = false;
    for (const wake of signIn.waiters.splice(0)) wake();
  };
  const deliver = createCompletionDelivery({
    client,
    spool,
    clock,
    runnerId: 'run-1',
    stopped,
    forced,
    deliveryGraceMs: 10_000,
    reportError: (error) => {
      errors.push(error);
      if (isCoordError(error) && error.code === 'auth.invalid_token') signIn.signedOut = true;
    },
    whenSignedIn: () =>
      signIn.signedOut ? new Promise<void>((resolve) => signIn.waiters.push(resolve)) : Promise.resolve(),
  });
  const uploader = { drain: () => Promise.resolve() } as unknown as EventUploader;
  const target: DeliveryTarget & { leaseLost: boolean } = { attemptId: 'att-1', uploader, leaseLost: false };
  return { clock, spool, calls, answers, errors, deliver, target, stop, force, signIn, signInAgain };
}

const request = completionRequest(finishedData({ outcome: 'no_changes', error: null }, null, null), 0);
const outage = () => Promise.reject(new CoordError('api.network', 'connection refused', { retryable: true }));

describe('completion delivery', () => {
  it('retries through an outage by the backoff policy until the server takes it', async () => {
    const h = harness();
    h.answers.push(outage, outage);
    const done = h.deliver(h.target, request);
    await until(() => h.clock.pendingTimers === 1);
    expect(h.clock.nextTimerIn).toBe(500);
    h.clock.advance(500);
    await until(() => h.calls.length === 2 && h.clock.pendingTimers === 1);
    expect(h.clock.nextTimerIn).toBe(1_000);
    h.clock.advance(1_000);
    expect(await done).toBe('delivered');
    expect(h.calls).toHaveLength(3);
    expect(h.errors).toHaveLength(2);
    expect(h.spool.unfinished()).toEqual([]);
  });

  it('throws a refusal, and never tries again at the next start', async () => {
    const h = harness();
    const refused = new ApiError(
      {
        code: 'api.http_error',
        status: 422,
        method: 'POST',
        path: '/v1/attempts/att-1/complete',
        serverCode: 'x',
      },
      'refused',
      { retryable: false },
    );
    h.answers.push(() => Promise.reject(refused));
    await expect(h.deliver(h.target, request)).rejects.toBe(refused);
    expect(h.errors).toEqual([refused]);
    expect(h.spool.unfinished()).toEqual([]);
  });

  it('ends quietly once the lease is lost', async () => {
    const h = harness();
    const lost = new CoordError('lease.lost', 'lease lost');
    h.answers.push(() => {
      h.target.leaseLost = true;
      return Promise.reject(lost);
    });
    expect(await h.deliver(h.target, request)).toBe('gone');
    expect(h.errors).toEqual([]);
  });

  it('keeps trying for the grace after a stop, then leaves the report in the spool', async () => {
    const h = harness();
    const hanging = deferred<CompleteResponse>();
    h.answers.push(() => hanging.promise);
    const done = h.deliver(h.target, request);
    h.stop();
    await until(() => h.clock.pendingTimers === 1);
    expect(h.clock.nextTimerIn).toBe(10_000);
    h.clock.advance(10_000);
    expect(await done).toBe('left');
    expect(h.spool.unfinished()).toHaveLength(1);
  });

  it('keeps a report the server refuses for its token until the runner is signed in again', async () => {
    const h = harness();
    const signedOut = new ApiError(
      {
        code: 'auth.invalid_token',
        status: 401,
        method: 'POST',
        path: '/v1/attempts/att-1/complete',
        serverCode: 'auth.invalid_token',
      },
      'refused',
      { retryable: false },
    );
    h.answers.push(() => Promise.reject(signedOut));
    const done = h.deliver(h.target, request);
    await until(() => h.signIn.waiters.length === 1);
    // Waiting for a person, not by the clock: nothing is tried again meanwhile, nothing dropped.
    h.clock.advance(60 * 60_000);
    await flush();
    expect(h.calls).toHaveLength(1);
    expect(h.spool.unfinished()).toHaveLength(1);
    h.signInAgain();
    expect(await done).toBe('delivered');
    expect(h.calls).toHaveLength(2);
    expect(h.errors).toEqual([signedOut]);
    expect(h.spool.unfinished()).toEqual([]);
  });

  it('a forced stop cuts delivery short, leaving the report in the spool', async () => {
    const h = harness();
    h.answers.push(() => new Promise(() => {}));
    const done = h.deliver(h.target, request);
    h.stop();
    h.force();
    await until(() => h.clock.pendingTimers === 2);
    expect(h.clock.nextTimerIn).toBe(FORCED_DELIVERY_MS);
    h.clock.advance(FORCED_DELIVERY_MS);
    expect(await done).toBe('left');
    expect(h.spool.unfinished()).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('gives a recovered report no grace', async () => {
    const h = harness();
    h.answers.push(() => new Promise(() => {}));
    const done = h.deliver(h.target, request, { stopWithRunner: true });
    h.stop();
    await until(() => h.clock.pendingTimers === 1);
    h.clock.advance(0);
    expect(await done).toBe('left');
  });
});
