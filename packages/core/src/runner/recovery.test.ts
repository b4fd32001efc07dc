import type { CompleteRequest } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/manual-clock.js';
import { CoordError } from '../errors.js';
import type { RunnerEvent } from '../events/runner-event.js';
import { createMemoryEventSpool } from '../store/event-spool.js';
import type { DeliverCompletion, DeliverOptions, DeliveryTarget } from './completion.js';
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
