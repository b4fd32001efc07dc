import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RunnerEvent } from '../events/runner-event.js';
import { trackAttempts } from './attempt-tracker.js';
import type { HistoryEntry } from './control-api.js';

const ids = { jobId: 'job-1', attemptId: 'att-1' };
const finished = (at: number): RunnerEvent => ({
  type: 'job.finished',
  at,
  ...ids,
  outcome: 'failed',
  summary: '',
  pullRequest: null,
  outputs: null,
  error: { code: 'runner.restarted', message: 'restarted', retryable: true },
});

describe('the attempt tracker', () => {
  it('forgets an attempt once it has finished, whatever comes after', () => {
    const events = new Subject<RunnerEvent>();
    const entries: HistoryEntry[] = [];
    const tracker = trackAttempts(events, { onFinished: (e) => entries.push(e) });
    events.next({
      type: 'job.claimed',
      at: 1000,
      ...ids,
      attemptNumber: 1,
      workspaceId: 'ws',
      title: 'T',
      agent: 'demo',
    });
    events.next({
      type: 'job.agent',
      at: 1100,
      ...ids,
      event: { type: 'usage', inputTokens: 5, outputTokens: 1, cumulative: true },
    });
    events.next({
      type: 'job.agent',
      at: 1200,
      ...ids,
      event: { type: 'usage', inputTokens: 7, outputTokens: 2, costUsd: 0.1, cumulative: true },
    });
    expect(tracker.attempts().get('att-1')?.usage).toEqual({
      inputTokens: 7,
      outputTokens: 2,
      cachedInputTokens: 0,
      costUsd: 0.1,
    });
    events.next(finished(4000));
    events.next({ type: 'job.state', at: 4001, ...ids, state: 'done' });
    events.next({ type: 'job.log', at: 4002, ...ids, level: 'info', message: 'late' });
    expect(tracker.attempts().size).toBe(0);
    expect(entries).toEqual([expect.objectContaining({ attemptId: 'att-1', durationMs: 3000, title: 'T' })]);
  });

  it('records an attempt a crashed run left, finished without a claim in this run', () => {
    const events = new Subject<RunnerEvent>();
    const entries: HistoryEntry[] = [];
    trackAttempts(events, { onFinished: (e) => entries.push(e) });
    events.next(finished(5000));
    expect(entries).toEqual([
      expect.objectContaining({
        attemptId: 'att-1',
        attemptNumber: 1,
        title: '',
        durationMs: 0,
        agent: null,
      }),
    ]);
  });
});
