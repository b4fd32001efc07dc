import type { RunnerEvent } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { createAttention, type AttentionCounts, type DesktopNotification } from './attention.js';

const scoped = { at: 1, jobId: 'job-1', attemptId: 'att-1' };
const claimed: RunnerEvent = {
  ...scoped,
  type: 'job.claimed',
  attemptNumber: 1,
  workspaceId: 'ws',
  title: 'Fix the login page',
  agent: 'demo',
};
const approval: RunnerEvent = {
  ...scoped,
  type: 'interaction.requested',
  interactionId: 'int-1',
  request: { kind: 'approval', toolName: 'Bash', summary: 'npm test\n  --watch=false', input: {} },
};
const question: RunnerEvent = {
  ...scoped,
  type: 'interaction.requested',
  interactionId: 'int-2',
  request: {
    kind: 'question',
    questions: [{ id: 'q', text: 'Which tone?', options: [], multiSelect: false, allowFreeText: true }],
  },
};

function setup() {
  const notes: DesktopNotification[] = [];
  const counts: AttentionCounts[] = [];
  const attention = createAttention({ notify: (n) => notes.push(n), onCounts: (c) => counts.push(c) });
  return { attention, notes, counts };
}

describe('what needs the person', () => {
  it('raises an urgent notification the moment an approval or a question waits', () => {
    const t = setup();
    t.attention.onEvent(claimed);
    t.attention.onEvent(approval);
    t.attention.onEvent(question);
    expect(t.notes).toEqual([
      {
        title: 'Approve Bash?',
        body: 'Fix the login page: npm test --watch=false',
        jobId: 'job-1',
        urgent: true,
      },
      { title: 'The agent asks', body: 'Fix the login page: Which tone?', jobId: 'job-1', urgent: true },
    ]);
    expect(t.attention.counts()).toEqual({ active: 1, waiting: 2, connection: null });
  });

  it('drops an interaction answered elsewhere from the count at once, without a notification', () => {
    const t = setup();
    t.attention.onEvent(claimed);
    t.attention.onEvent(approval);
    t.attention.onEvent({
      ...scoped,
      type: 'interaction.resolved',
      interactionId: 'int-1',
      answer: { kind: 'approval', decision: 'allow_once' },
      by: 'web',
    });
    expect(t.attention.counts().waiting).toBe(0);
    expect(t.notes).toHaveLength(1);
    expect(t.counts.at(-1)).toEqual({ active: 1, waiting: 0, connection: null });
  });

  it('tells how a job ended, quietly, and forgets what it was waiting for', () => {
    const t = setup();
    t.attention.onEvent(claimed);
    t.attention.onEvent(approval);
    t.attention.onEvent({
      ...scoped,
      type: 'job.finished',
      outcome: 'succeeded',
      summary: 'Fixed it',
      pullRequest: { url: 'https://forge.example/a/b/pull/4', number: 4, branch: 'coord/job-1' },
      outputs: null,
      error: null,
    });
    expect(t.notes.at(-1)).toEqual({
      title: 'Job done',
      body: 'Fix the login page: pull request #4',
      jobId: 'job-1',
      urgent: false,
    });
    expect(t.attention.counts()).toEqual({ active: 0, waiting: 0, connection: null });
    t.attention.onEvent({ type: 'runner.status', at: 2, status: 'offline', message: 'ECONNREFUSED' });
    expect(t.attention.counts().connection).toBe('offline');
  });
});
