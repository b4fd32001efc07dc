import { describe, expect, it } from 'vitest';
import { rawAssignment } from '../../test/fake-attempt.js';
import {
  FakeCoordServer,
  fakeAgentPort,
  fakeAgentRun,
  fakeLocalWorkspaces,
  quietHints,
  testIdentity,
  testRegistration,
  type FakeAgentRun,
} from '../../test/fake-ports.js';
import { flush, ManualClock, until } from '../../test/manual-clock.js';
import { CoordError } from '../errors.js';
import type { RunnerEvent } from '../events/runner-event.js';
import { createMemoryEventSpool } from '../store/event-spool.js';
import type { Checkpoint } from './checkpoint.js';
import { createRunner } from './runner.js';

/**
 * A runner started again over the spool its killed run left (one attempt at `running`), against a
 * fake server whose `reattach` answer the test picks, with a manual clock.
 */
function restart(reattach: (attemptId: string) => Promise<unknown>) {
  const clock = new ManualClock();
  const server = new FakeCoordServer();
  const spool = createMemoryEventSpool();
  spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
  for (const type of ['job.claimed', 'job.state', 'job.agent'])
    spool.append('att-1', { type, at: '2026-01-01T00:00:00.000Z', data: {} });
  const checkpoint: Checkpoint = {
    version: 1,
    step: 'running',
    prepared: null,
    workDir: '/work/att-1',
    agentSessionId: 'sess-1',
    retries: 0,
    agentResult: null,
    publication: null,
    finish: null,
    nextSeq: 4,
  };
  spool.checkpoint('att-1', checkpoint);

  const runs: FakeAgentRun[] = [];
  const claims: string[][] = [];
  const asked: string[] = [];
  const client = {
    ...server.client,
    register: () => Promise.resolve(testRegistration),
    reattach: (_runnerId: string, attemptId: string) => {
      asked.push(attemptId);
      return reattach(attemptId);
    },
    // Claims wait until the runner stops (nothing else is Ready).
    claim: (_runnerId: string, request: { activeAttemptIds: string[] }, signal: AbortSignal) => {
      claims.push(request.activeAttemptIds);
      return new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    },
    hints: quietHints,
  } as unknown as typeof server.client;
  const runner = createRunner({
    client,
    identity: testIdentity,
    agents: [
      fakeAgentPort('claude-code', {
        start: (input) => {
          const run = fakeAgentRun(input);
          runs.push(run);
          return run;
        },
      }),
    ],
    local: fakeLocalWorkspaces(),
    spool,
    clock,
  });
  const events: RunnerEvent[] = [];
  runner.events$.subscribe((event) => events.push(event));
  return { clock, server, spool, runner, runs, claims, asked, events };
}

describe('a runner started again over the attempts its killed run left', () => {
  it('takes up an attempt whose lease holds: the agent resumed, the seq continued, and it counts against capacity', async () => {
    const r = restart(() => Promise.resolve(rawAssignment()));
    await r.runner.start();
    await until(() => r.runs.length === 1, 'the agent to start again');
    expect(r.asked).toEqual(['att-1']);
    expect(r.runs[0]!.input).toMatchObject({
      attemptId: 'att-1',
      workDir: '/work/att-1',
      resumeSessionId: 'sess-1',
    });
    expect(r.runner.activeAttempts()).toEqual([
      expect.objectContaining({ attemptId: 'att-1', state: 'running' }),
    ]);
    // Its one slot is taken by the reattached attempt: nothing more is claimed meanwhile.
    await flush();
    expect(r.claims).toEqual([]);

    r.runs[0]!.finish({ summary: 'Notes written', sessionId: 'sess-1' });
    await until(() => r.server.completions.length === 1, 'the report');
    const held = r.server.events.get('att-1')!;
    expect(held.map((e) => e.seq)).toEqual(held.map((_, i) => i + 1));
    expect(held.slice(3).map((e) => e.type)).not.toContain('job.claimed');
    expect(r.server.completions[0]).toEqual({
      attemptId: 'att-1',
      request: expect.objectContaining({ outcome: 'no_changes', sessionId: 'sess-1', lastSeq: held.length }),
    });
    await until(() => r.claims.length === 1, 'a claim once the slot is free');
    expect(r.claims[0]).toEqual([]);
    await r.runner.stop();
  });

  it('reports an attempt the server will not give back, and starts no agent for it', async () => {
    const r = restart(() =>
      Promise.reject(new CoordError('lease.lost', 'This runner no longer holds attempt att-1')),
    );
    await r.runner.start();
    await until(() => r.server.completions.length === 1, 'the report');
    expect(r.runs).toEqual([]);
    expect(r.server.completions[0]!.request).toMatchObject({
      outcome: 'failed',
      lastSeq: 4,
      error: { code: 'runner.restarted', retryable: true },
    });
    await until(() => r.claims.length === 1, 'the claim loop');
    expect(r.claims[0]).toEqual([]);
    await r.runner.stop();
  });
});
