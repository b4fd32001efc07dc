import type { AttemptEvent, CompleteRequest, CompleteResponse } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/deferred.js';
import { flush, ManualClock, until } from '../../test/manual-clock.js';
import { ApiError } from '../client/api-error.js';
import type { CoordClient, EventLines } from '../client/coord-client.js';
import { CoordError, isCoordError } from '../errors.js';
import { createMemoryEventSpool } from '../store/event-spool.js';
import {
  completionRequest,
  createCompletionDelivery,
  FORCED_DELIVERY_MS,
  finishedData,
  type DeliveryTarget,
} from './completion.js';
import { createEventUploader, type EventUploader } from './event-uploader.js';
import { parseEventLines } from '../../test/event-lines.js';

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
  const uploader = {
    drain: () => Promise.resolve(),
    rest: () => Promise.resolve(null),
  } as unknown as EventUploader;
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

describe('completion delivery: the last events go with the report', () => {
  /**
   * A server holding events by seq. `carries`: it stores events sent with the report (an older
   * server ignores them). `refuseLarge`: it refuses, with 400, any request holding an event whose
   * text is over 100 characters (as the real one refuses one over MAX_EVENT_BYTES).
   */
  function server(options: { carries: boolean; refuseLarge?: boolean }) {
    const held = new Map<number, AttemptEvent>();
    const requests: string[] = [];
    const ack = () => {
      let n = 0;
      while (held.has(n + 1)) n++;
      return n;
    };
    const take = (path: string, lines: EventLines) => {
      const events = parseEventLines(lines);
      if (options.refuseLarge && events.some((e) => String(e.data['text'] ?? '').length > 100))
        throw new ApiError(
          { code: 'api.http_error', status: 400, method: 'POST', path, serverCode: 'request.invalid' },
          'an event is too large',
          { retryable: false },
        );
      for (const e of events) if (!held.has(e.seq)) held.set(e.seq, e);
    };
    const client = {
      uploadEvents: (_r: string, _a: string, lines: EventLines) => {
        requests.push(
          `events ${parseEventLines(lines)
            .map((e) => e.seq)
            .join(',')}`,
        );
        take('/v1/attempts/att-1/events', lines);
        return Promise.resolve(ack());
      },
      complete: (_r: string, _a: string, request: CompleteRequest, _s?: AbortSignal, lines?: EventLines) => {
        requests.push(
          `complete${
            lines
              ? ` carrying ${parseEventLines(lines)
                  .map((e) => e.seq)
                  .join(',')}`
              : ''
          }`,
        );
        try {
          if (lines && options.carries) take('/v1/attempts/att-1/complete', lines);
        } catch (error) {
          return Promise.reject(error);
        }
        if (request.lastSeq > ack())
          return Promise.reject(
            new ApiError(
              {
                code: 'api.http_error',
                status: 409,
                method: 'POST',
                path: '/v1/attempts/att-1/complete',
                serverCode: 'events.gap',
              },
              'upload the rest first',
              { retryable: false },
            ),
          );
        return Promise.resolve({ job: { id: 'job-1', status: 'done' } });
      },
    } as unknown as CoordClient;
    return { client, held, requests, ack };
  }

  async function deliverWith(s: ReturnType<typeof server>, texts: string[]) {
    const clock = new ManualClock();
    const spool = createMemoryEventSpool();
    spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
    const errors: unknown[] = [];
    const uploader = createEventUploader({
      client: s.client,
      spool,
      runnerId: 'run-1',
      attemptId: 'att-1',
      clock,
      intervalMs: 250,
      maxBatch: 500,
      onError: (error) => errors.push(error),
      onLeaseLost: (error) => errors.push(error),
    });
    for (const text of texts) {
      spool.append('att-1', { at: '2030-01-01T00:00:00.000Z', type: 'job.log', data: { text } });
      uploader.notify();
    }
    const deliver = createCompletionDelivery({
      client: s.client,
      spool,
      clock,
      runnerId: 'run-1',
      stopped: new Promise(() => undefined),
      forced: new Promise(() => undefined),
      deliveryGraceMs: 10_000,
      reportError: (error) => errors.push(error),
      whenSignedIn: () => Promise.resolve(),
    });
    const report = completionRequest(
      finishedData({ outcome: 'no_changes', error: null }, null, null),
      spool.lastSeq('att-1'),
    );
    const outcome = await deliver({ attemptId: 'att-1', uploader, leaseLost: false }, report);
    return { outcome, spool, uploader, errors };
  }

  it('sends a short job its report and its last events in one request', async () => {
    const s = server({ carries: true });
    const { outcome, spool, uploader } = await deliverWith(s, ['a', 'b', 'c']);
    expect(outcome).toBe('delivered');
    expect(s.requests).toEqual(['complete carrying 1,2,3']);
    expect(s.ack()).toBe(3);
    expect(uploader.acked).toBe(3);
    expect(spool.unfinished()).toEqual([]);
  });

  it('uploads the events, then sends the report alone, to a server that ignores carried events', async () => {
    const s = server({ carries: false });
    const { outcome, errors } = await deliverWith(s, ['a', 'b']);
    expect(outcome).toBe('delivered');
    expect(s.requests).toEqual(['complete carrying 1,2', 'events 1,2', 'complete']);
    expect(s.ack()).toBe(2);
    expect(errors).toEqual([]);
  });

  it('lets the uploader find and replace an event the server refuses, then reports', async () => {
    const s = server({ carries: true, refuseLarge: true });
    const { outcome } = await deliverWith(s, ['a', 'x'.repeat(200)]);
    expect(outcome).toBe('delivered');
    expect(s.requests[0]).toBe('complete carrying 1,2');
    expect(s.requests.at(-1)).toBe('complete');
    // Event 2 went in as the runner's note that the server refused it; nothing is missing.
    expect(s.ack()).toBe(2);
    expect(s.held.get(2)?.data['message']).toMatch(/The server refused event 2/);
  });
});
