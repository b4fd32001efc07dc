import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { forJob, ofType, untilFinished } from './operators.js';
import type { RunnerEvent } from './runner-event.js';

const ids = { at: 0, attemptId: 'att_1' };
const events: RunnerEvent[] = [
  { type: 'runner.status', at: 0, status: 'idle' },
  { ...ids, jobId: 'job_1', type: 'job.state', state: 'running' },
  { ...ids, jobId: 'job_2', type: 'job.state', state: 'running' },
  {
    ...ids,
    jobId: 'job_1',
    type: 'job.finished',
    outcome: 'succeeded',
    summary: '',
    pullRequest: null,
    outputs: null,
    error: null,
  },
  { ...ids, jobId: 'job_1', type: 'job.state', state: 'done' },
];

describe('event operators', () => {
  it('ofType keeps only the named types', async () => {
    const types = await lastValueFrom(from(events).pipe(ofType('job.finished', 'runner.status'), toArray()));
    expect(types.map((e) => e.type)).toEqual(['runner.status', 'job.finished']);
  });

  it('forJob keeps one job, and untilFinished ends with its finish', async () => {
    const seen = await lastValueFrom(from(events).pipe(forJob('job_1'), untilFinished(), toArray()));
    expect(seen.map((e) => e.type)).toEqual(['job.state', 'job.finished']);
  });
});
