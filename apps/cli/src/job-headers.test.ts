import type { RunnerEvent } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { createJobHeaders } from './job-headers.js';

const claimed = (n: number, title: string): RunnerEvent => ({
  type: 'job.claimed',
  at: 0,
  jobId: `job_${n}`,
  attemptId: `att_${n}`,
  attemptNumber: 1,
  workspaceId: 'ws',
  title,
  agent: 'demo',
});
const state = (n: number, s: 'running' | 'done'): RunnerEvent => ({
  type: 'job.state',
  at: 0,
  jobId: `job_${n}`,
  attemptId: `att_${n}`,
  state: s,
});
const finished = (n: number): RunnerEvent => ({
  type: 'job.finished',
  at: 0,
  jobId: `job_${n}`,
  attemptId: `att_${n}`,
  outcome: 'failed',
  summary: '',
  pullRequest: null,
  outputs: null,
  error: null,
});

/** Each event's header, or '' for none. */
function headersOf(events: RunnerEvent[]): string[] {
  const header = createJobHeaders({ color: false });
  return events.map((event) => header(event) ?? '');
}

describe('job headers', () => {
  it('one job at a time gets none', () => {
    expect(
      headersOf([
        claimed(1, 'One'),
        state(1, 'running'),
        finished(1),
        state(1, 'done'),
        claimed(2, 'Two'),
        state(2, 'running'),
      ]).every((h) => h === ''),
    ).toBe(true);
  });

  it("names the job of a line that follows another job's", () => {
    expect(
      headersOf([
        claimed(1, 'Greet someone'),
        state(1, 'running'),
        claimed(2, 'A failing command'),
        state(2, 'running'),
        // The finish names its job itself, and the line after it is the same job's.
        finished(2),
        state(2, 'done'),
        state(1, 'running'),
        state(1, 'done'),
        { type: 'runner.status', at: 0, status: 'idle' },
        state(1, 'done'),
      ]),
    ).toEqual(['', '', '', '', '', '', '▷ job job_1 "Greet someone"', '', '', '']);
  });

  it('an attempt taken up after a restart (no claim line) is named by its job id', () => {
    expect(headersOf([state(7, 'running')])).toEqual(['▷ job job_7']);
  });

  it('a title is made safe for the terminal', () => {
    const header = createJobHeaders({ color: false });
    header(claimed(1, 'evil \u001b]0;pwned\u0007 title'));
    header(state(2, 'running'));
    const text = header(state(1, 'running'))!;
    expect(text).toContain('title');
    expect(text.includes('\u001b') || text.includes('\u0007')).toBe(false);
  });
});
