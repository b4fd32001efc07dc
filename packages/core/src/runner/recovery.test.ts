import type { CompleteRequest } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/manual-clock.js';
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
import { recoverUnfinished, type RecoveryOptions } from './recovery.js';

function harness(deliverWith?: (target: DeliveryTarget, options: DeliverOptions) => void) {
  const clock = new ManualClock();
  const spool = createMemoryEventSpool();
  const delivered: Array<{ attemptId: string; request: CompleteRequest; options: DeliverOptions }> = [];
  const emitted: RunnerEvent[] = [];
  const errors: unknown[] = [];
  const stoppedUploaders: string[] = [];
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
    isStopping: () => false,
    isActive: () => false,
  };
  return { clock, spool, delivered, emitted, errors, stoppedUploaders, options };
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

  it('leaves attempts alone once stopping', async () => {
    const h = harness();
    h.spool.begin({ attemptId: 'att-4', jobId: 'job-4', attemptNumber: 1 });
    await recoverUnfinished({ ...h.options, isStopping: () => true });
    expect(h.delivered).toEqual([]);
  });
});
