import { describe, expect, it } from 'vitest';
import type { AttemptMachineContext } from '../machine/attempt-machine.js';
import { checkpointOf, restartDecision, type Checkpoint } from './checkpoint.js';

const context = (over: Partial<AttemptMachineContext> = {}): AttemptMachineContext => ({
  jobId: 'job-1',
  attemptId: 'att-1',
  workDir: '/work/att-1',
  agentResult: null,
  publication: null,
  finish: null,
  stopRequested: false,
  cancelReason: null,
  agentSessionId: null,
  retries: 0,
  maxRetries: 2,
  lastFailure: null,
  reattach: null,
  stopGraceMs: null,
  ...over,
});

const prepared = {
  workDir: '/work/att-1',
  branch: 'coord/job-1',
  baseBranch: 'main',
  baseCommit: 'a'.repeat(40),
  originTip: null,
};

const checkpoint = (over: Partial<Checkpoint> = {}): Checkpoint => ({
  version: 1,
  step: 'running',
  prepared,
  workDir: '/work/att-1',
  agentSessionId: 'sess-1',
  retries: 1,
  agentResult: null,
  publication: null,
  finish: null,
  nextSeq: 5,
  ...over,
});

const completed = {
  status: 'completed' as const,
  sessionId: 'sess-1',
  summary: 'done',
  usage: null,
  error: null,
};

describe('checkpoints', () => {
  it("holds the session the agent said over the machine's, and the outcome only once reporting", () => {
    const at = (state: 'running' | 'reporting') =>
      checkpointOf(
        state,
        context({ agentSessionId: 'from-earlier-attempt', finish: { outcome: 'succeeded', error: null } }),
        { prepared, agentSessionId: 'sess-now', nextSeq: 9 },
      )!;
    expect(at('running')).toMatchObject({ agentSessionId: 'sess-now', finish: null, nextSeq: 9, prepared });
    expect(at('reporting').finish).toEqual({ outcome: 'succeeded', error: null });
  });

  it('a written checkpoint reads back as one a restart resumes', () => {
    const written = checkpointOf('publishing', context({ agentResult: completed, retries: 1 }), {
      prepared,
      agentSessionId: 'sess-1',
      nextSeq: 5,
    });
    const decision = restartDecision(JSON.parse(JSON.stringify(written)), 4);
    expect(decision).toMatchObject({
      kind: 'reattach',
      reattach: { step: 'publishing', workDir: '/work/att-1', retries: 1, agentResult: completed },
    });
  });
});

describe('what a restarted runner does with an attempt it left', () => {
  it('resumes the agent in its work dir with its session, when the spool holds every event the checkpoint saw', () => {
    expect(restartDecision(checkpoint(), 4)).toEqual({
      kind: 'reattach',
      checkpoint: checkpoint(),
      reattach: {
        step: 'running',
        workDir: '/work/att-1',
        agentSessionId: 'sess-1',
        retries: 1,
        agentResult: null,
        publication: null,
        finish: null,
      },
    });
    // Events spooled after the checkpoint are fine: the spool numbers them.
    expect(restartDecision(checkpoint(), 40).kind).toBe('reattach');
  });

  it('reports the attempt instead when the seq could not go on without a gap', () => {
    expect(restartDecision(checkpoint(), 3)).toEqual({
      kind: 'report',
      reason: 'its event spool holds 3 events, fewer than the 4 its checkpoint saw',
    });
  });

  it.each([
    ['no checkpoint', undefined, 'no checkpoint was written before the runner stopped'],
    ['an unreadable one', { version: 1, step: 'flying' }, 'its checkpoint is unreadable'],
    ['a run without a work dir', checkpoint({ workDir: null }), 'its checkpoint names no work directory'],
    [
      'a publish without the agent result',
      checkpoint({ step: 'publishing' }),
      "its checkpoint lacks the agent's result to publish",
    ],
    [
      'a report without an outcome',
      checkpoint({ step: 'reporting' }),
      'its checkpoint lacks the outcome to report',
    ],
  ])('reports the attempt for %s', (_what, raw, reason) => {
    expect(restartDecision(raw, 10)).toEqual({ kind: 'report', reason });
  });

  it('prepares again from the start, and reports a recorded outcome without publishing again', () => {
    expect(
      restartDecision(checkpoint({ step: 'preparing', workDir: null, prepared: null }), 4),
    ).toMatchObject({
      kind: 'reattach',
      reattach: { step: 'preparing' },
    });
    const pullRequest = { url: 'https://forge.test/o/r/pull/3', number: 3, branch: 'coord/job-1' };
    expect(
      restartDecision(
        checkpoint({
          step: 'reporting',
          agentResult: completed,
          publication: { outcome: 'succeeded', pullRequest, outputs: null },
          finish: { outcome: 'succeeded', error: null },
        }),
        4,
      ),
    ).toMatchObject({
      kind: 'reattach',
      reattach: { step: 'reporting', publication: { pullRequest }, finish: { outcome: 'succeeded' } },
    });
  });
});
