import type { CompleteRequest } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock, until } from '../../test/manual-clock.js';
import { CoordError } from '../errors.js';
import type { RunnerEvent } from '../events/runner-event.js';
import { createMemoryEventSpool } from '../store/event-spool.js';
import {
  completionRequest,
  finishedData,
  type DeliverCompletion,
  type DeliverOptions,
  type DeliveryTarget,
} from './completion.js';
import type { EventUploader } from './event-uploader.js';
import type { Checkpoint } from './checkpoint.js';
import { recoverUnfinished, type RecoveryOptions } from './recovery.js';

function harness(
  deliverWith?: (target: DeliveryTarget, options: DeliverOptions) => void,
  server: { reattach?: (attemptId: string) => Promise<unknown>; readable?: boolean } = {},
) {
  const clock = new ManualClock();
  const spool = createMemoryEventSpool();
  const delivered: Array<{ attemptId: string; request: CompleteRequest; options: DeliverOptions }> = [];
  const emitted: RunnerEvent[] = [];
  const errors: unknown[] = [];
  const stoppedUploaders: string[] = [];
  const asked: string[] = [];
  let stopping = false;
  let markStopped!: () => void;
  const stoppedPromise = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = () => {
    stopping = true;
    markStopped();
  };
  const resumed: Array<{ raw: unknown; decision: Parameters<RecoveryOptions['resume']>[1] }> = [];
  const deliver = ((target, request, options = {}) => {
    delivered.push({ attemptId: target.attemptId, request, options });
    deliverWith?.(target, options);
    return Promise.resolve('delivered');
  }) as DeliverCompletion;
  const options: RecoveryOptions = {
    spool,
    clock,
    uploaderFor: (attemptId) =>
      ({ notify: () => {}, stop: () => stoppedUploaders.push(attemptId) }) as unknown as EventUploader,
    deliver,
    emit: (event) => emitted.push(event),
    reportError: (error) => errors.push(error),
    isStopping: () => stopping,
    stopped: stoppedPromise,
    isActive: () => false,
    reattach: (attemptId) => {
      asked.push(attemptId);
      return server.reattach ? server.reattach(attemptId) : Promise.reject(new Error('not expected'));
    },
    resume: (raw, decision) => {
      if (server.readable === false) return false;
      resumed.push({ raw, decision });
      return true;
    },
  };
  return { clock, spool, delivered, emitted, errors, stoppedUploaders, asked, resumed, options, stop };
}

const log = { type: 'job.log', at: '2026-01-01T00:00:00.000Z', data: { level: 'info', message: 'working' } };

describe('recovery of attempts a crashed run left', () => {
  it('reports an interrupted attempt failed and retryable, after the events it wrote', async () => {
    const h = harness();
    h.spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
    h.spool.append('att-1', log);
    h.spool.append('att-1', log);
    await recoverUnfinished(h.options);
    expect(h.spool.read('att-1', 2, 1)[0]).toMatchObject({ seq: 3, type: 'job.finished' });
    expect(h.emitted).toEqual([
      expect.objectContaining({
        type: 'job.finished',
        jobId: 'job-1',
        attemptId: 'att-1',
        outcome: 'failed',
      }),
    ]);
    expect(h.delivered).toEqual([
      {
        attemptId: 'att-1',
        request: expect.objectContaining({
          outcome: 'failed',
          lastSeq: 3,
          sessionId: null,
          error: expect.objectContaining({ code: 'runner.restarted', retryable: true }),
        }),
        options: expect.objectContaining({ stopWithRunner: true }),
      },
    ]);
    expect(h.stoppedUploaders).toEqual(['att-1']);
  });

  it('sends again the report of an attempt that finished but was not delivered', async () => {
    const h = harness();
    h.spool.begin({ attemptId: 'att-2', jobId: 'job-2', attemptNumber: 1 });
    h.spool.append('att-2', {
      type: 'job.finished',
      at: log.at,
      data: { outcome: 'succeeded', summary: 'done', pullRequest: null, outputs: null, error: null },
    });
    await recoverUnfinished(h.options);
    expect(h.emitted).toEqual([]);
    expect(h.delivered[0]!.request).toMatchObject({ outcome: 'succeeded', summary: 'done', lastSeq: 1 });
  });

  it('sends the report of an attempt killed after it finished exactly as first sent, usage and session too', async () => {
    // The server answers a report sent again only when it is the same request; a different one
    // (the agent's session left out) is refused and the runner told people a delivered report was dropped.
    const finished = finishedData(
      { outcome: 'succeeded', error: null },
      {
        status: 'completed',
        sessionId: 'session-9',
        summary: 'done',
        usage: { inputTokens: 5, outputTokens: 6 },
        error: null,
      },
      { outcome: 'succeeded', pullRequest: null, outputs: ['out.txt'] },
    );
    const h = harness();
    h.spool.begin({ attemptId: 'att-5', jobId: 'job-5', attemptNumber: 1 });
    h.spool.append('att-5', log);
    // Spooled as the attempt driver spools its finish (JSON on disk), then the kill.
    h.spool.append('att-5', {
      type: 'job.finished',
      at: log.at,
      data: JSON.parse(JSON.stringify(finished)) as Record<string, unknown>,
    });
    const firstSent = completionRequest(finished, h.spool.lastSeq('att-5'));
    await recoverUnfinished(h.options);
    expect(h.delivered.map((d) => d.request)).toEqual([firstSent]);
    expect(firstSent).toMatchObject({ sessionId: 'session-9', usage: { inputTokens: 5, outputTokens: 6 } });
  });

  it('sends the report a runner of an older version spooled (no usage or session in it)', async () => {
    const h = harness();
    h.spool.begin({ attemptId: 'att-6', jobId: 'job-6', attemptNumber: 1 });
    h.spool.append('att-6', {
      type: 'job.finished',
      at: log.at,
      data: { outcome: 'succeeded', summary: 'done', pullRequest: null, outputs: null, error: null },
    });
    await recoverUnfinished(h.options);
    expect(h.delivered[0]!.request).toMatchObject({ outcome: 'succeeded', usage: null, sessionId: null });
  });

  it('says once why an attempt the server refuses is finished here', async () => {
    const h = harness((_target, options) => {
      const refusal = new CoordError('attempt.refused', 'unknown attempt');
      options.onGone?.(refusal);
      options.onGone?.(refusal);
    });
    h.spool.begin({ attemptId: 'att-3', jobId: 'job-3', attemptNumber: 1 });
    await recoverUnfinished(h.options);
    expect(h.errors).toHaveLength(1);
    expect((h.errors[0] as CoordError).message).toContain(
      'The server refuses attempt att-3 left by an earlier run',
    );
  });

  it('reports an attempt without a checkpoint without asking the server for it', async () => {
    const h = harness();
    h.spool.begin({ attemptId: 'att-5', jobId: 'job-5', attemptNumber: 1 });
    await recoverUnfinished(h.options);
    expect(h.asked).toEqual([]);
    expect(h.delivered[0]!.request.error!.message).toContain(
      'no checkpoint was written before the runner stopped',
    );
  });

  it('leaves attempts alone once stopping', async () => {
    const h = harness();
    h.spool.begin({ attemptId: 'att-4', jobId: 'job-4', attemptNumber: 1 });
    await recoverUnfinished({ ...h.options, isStopping: () => true });
    expect(h.delivered).toEqual([]);
  });
});

/** What a run killed during its agent turn left: two events, and a checkpoint at `running`. */
function killedWhileRunning(h: ReturnType<typeof harness>, attemptId = 'att-6'): Checkpoint {
  h.spool.begin({ attemptId, jobId: 'job-6', attemptNumber: 1 });
  h.spool.append(attemptId, log);
  h.spool.append(attemptId, log);
  const checkpoint: Checkpoint = {
    version: 1,
    step: 'running',
    prepared: null,
    workDir: `/work/${attemptId}`,
    agentSessionId: 'sess-6',
    retries: 0,
    agentResult: null,
    publication: null,
    finish: null,
    nextSeq: 3,
  };
  h.spool.checkpoint(attemptId, checkpoint);
  return checkpoint;
}

const leaseLost = new CoordError(
  'lease.lost',
  'This runner no longer holds attempt att-6: the attempt is lost',
);

describe('reattaching to attempts whose lease still holds', () => {
  it('takes the attempt up again at its checkpoint with the assignment the server gives back, and reports nothing', async () => {
    const assignment = { attempt: { id: 'att-6' } };
    const h = harness(undefined, { reattach: () => Promise.resolve(assignment) });
    const checkpoint = killedWhileRunning(h);
    await recoverUnfinished(h.options);
    expect(h.asked).toEqual(['att-6']);
    expect(h.resumed).toEqual([
      {
        raw: assignment,
        decision: expect.objectContaining({
          kind: 'reattach',
          checkpoint,
          reattach: expect.objectContaining({
            step: 'running',
            agentSessionId: 'sess-6',
            workDir: '/work/att-6',
          }),
        }),
      },
    ]);
    // Nothing was appended: the resumed attempt's next event is seq 3.
    expect(h.spool.lastSeq('att-6')).toBe(2);
    expect(h.delivered).toEqual([]);
    expect(h.emitted).toEqual([]);
  });

  it('reports the attempt, saying why, when its lease is gone', async () => {
    const h = harness(undefined, { reattach: () => Promise.reject(leaseLost) });
    killedWhileRunning(h);
    await recoverUnfinished(h.options);
    expect(h.resumed).toEqual([]);
    expect(h.delivered).toHaveLength(1);
    expect(h.delivered[0]!.request).toMatchObject({ outcome: 'failed', lastSeq: 3 });
    expect(h.delivered[0]!.request.error!.message).toContain(
      'the server did not give it back (This runner no longer holds attempt att-6: the attempt is lost)',
    );
  });

  it('asks again, backing off, while the server cannot be reached: only it can say whether the lease holds', async () => {
    let calls = 0;
    const h = harness(undefined, {
      reattach: () =>
        (calls += 1) < 3
          ? Promise.reject(new CoordError('api.network', 'connection refused', { retryable: true }))
          : Promise.resolve({ attempt: { id: 'att-6' } }),
    });
    killedWhileRunning(h);
    const recovered = recoverUnfinished(h.options);
    await until(() => h.asked.length === 1);
    expect(h.clock.nextTimerIn).toBe(500);
    h.clock.advance(500);
    await until(() => h.asked.length === 2);
    expect(h.clock.nextTimerIn).toBe(1_000);
    h.clock.advance(1_000);
    await recovered;
    expect(h.asked).toHaveLength(3);
    expect(h.resumed).toHaveLength(1);
    expect(h.delivered).toEqual([]);
    expect(h.errors).toHaveLength(2);
  });

  it('leaves the attempt as it is for the next start when the runner stops before the server answers', async () => {
    const h = harness(undefined, {
      reattach: () =>
        Promise.reject(new CoordError('api.network', 'connection refused', { retryable: true })),
    });
    killedWhileRunning(h);
    const recovered = recoverUnfinished(h.options);
    await until(() => h.asked.length === 1);
    h.stop();
    await recovered;
    expect(h.spool.lastSeq('att-6')).toBe(2);
    expect(h.delivered).toEqual([]);
    expect(h.spool.unfinished()).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('reports the attempt when the assignment the server sends cannot be used', async () => {
    const h = harness(undefined, { reattach: () => Promise.resolve({}), readable: false });
    killedWhileRunning(h);
    await recoverUnfinished(h.options);
    expect(h.delivered[0]!.request.error!.message).toContain(
      'the server sent an assignment this runner cannot read',
    );
  });

  it('sends the report of a finished attempt again rather than take it up', async () => {
    const h = harness(undefined, { reattach: () => Promise.resolve({}) });
    killedWhileRunning(h);
    h.spool.append('att-6', {
      type: 'job.finished',
      at: log.at,
      data: { outcome: 'succeeded', summary: 'done', pullRequest: null, outputs: null, error: null },
    });
    await recoverUnfinished(h.options);
    expect(h.asked).toEqual([]);
    expect(h.delivered[0]!.request).toMatchObject({ outcome: 'succeeded', lastSeq: 3 });
  });
});
