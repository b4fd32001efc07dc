import type { Outcome } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { deferred, type Deferred } from '../../test/deferred.js';
import { fakeAttemptSystem } from '../../test/fake-attempt.js';
import { until } from '../../test/manual-clock.js';
import { ApiError } from '../client/api-error.js';
import { startAttempt, type Attempt } from './attempt-driver.js';
import type { LocalOutputFile, LocalWorkspacePort } from './ports.js';

/**
 * Model-based test of the attempt driver (not only its machine): an independent model of DESIGN.md
 * section 5, with in-place retries, is walked along its shortest paths to every state; the driver,
 * with fake ports, a fake server and a manual clock, must follow each path through the same
 * states, start the agent as often as the model says, and report the outcome it expects.
 * Controls arrive as a person sends them: with a lease renewal.
 */
type ModelEvent =
  | { type: 'PREPARE_OK' }
  | { type: 'PREPARE_FAIL' }
  | { type: 'AGENT_COMPLETED' }
  | { type: 'AGENT_CRASHED' }
  | { type: 'AGENT_FAILED' }
  | { type: 'AGENT_INTERRUPTED' }
  | { type: 'BACKOFF_ELAPSED' }
  | { type: 'PUBLISH_NO_CHANGES' }
  | { type: 'PUBLISH_FAIL' }
  | { type: 'CANCEL' }
  | { type: 'STOP' }
  | { type: 'LEASE_LOST' }
  | { type: 'INPUT_REQUESTED' }
  | { type: 'INPUT_RESOLVED' };

/** The job's budget: 3 attempts, this is the first, so 2 retries in place. */
const MAX_RETRIES = 2;

const to = (outcome: Outcome) => ({
  target: '#model.done',
  actions: { type: 'setOutcome' as const, params: { outcome } },
});
const crash = [
  { guard: 'canRetry' as const, target: '#model.retrying', actions: 'countRetry' as const },
  to('failed'),
];

const model = setup({
  types: { context: {} as { outcome: Outcome | null; retries: number }, events: {} as ModelEvent },
  actions: {
    setOutcome: assign((_, params: { outcome: Outcome }) => ({ outcome: params.outcome })),
    countRetry: assign({ retries: ({ context }) => context.retries + 1 }),
  },
  guards: { canRetry: ({ context }) => context.retries < MAX_RETRIES },
}).createMachine({
  id: 'model',
  initial: 'preparing',
  context: { outcome: null, retries: 0 },
  on: { LEASE_LOST: '.lease_lost' },
  states: {
    preparing: {
      on: { PREPARE_OK: 'running', PREPARE_FAIL: to('failed'), CANCEL: to('cancelled'), STOP: to('stopped') },
    },
    running: {
      initial: 'working',
      on: { AGENT_COMPLETED: '#model.publishing', CANCEL: to('cancelled') },
      states: {
        working: {
          on: {
            INPUT_REQUESTED: 'awaiting_input',
            STOP: 'stopping',
            AGENT_CRASHED: crash,
            AGENT_FAILED: to('failed'),
          },
        },
        awaiting_input: {
          on: {
            INPUT_RESOLVED: 'working',
            STOP: 'stopping',
            AGENT_CRASHED: crash,
            AGENT_FAILED: to('failed'),
          },
        },
        // Whatever the agent then does, a stop asked for ends stopped.
        stopping: { on: { AGENT_INTERRUPTED: to('stopped'), AGENT_CRASHED: to('stopped') } },
      },
    },
    retrying: { on: { BACKOFF_ELAPSED: 'running', CANCEL: to('cancelled'), STOP: to('stopped') } },
    publishing: {
      on: { PUBLISH_NO_CHANGES: to('no_changes'), PUBLISH_FAIL: to('failed'), CANCEL: to('cancelled') },
    },
    done: { type: 'final' },
    lease_lost: { type: 'final' },
  },
});

/** What the driver shows for a state of the model. */
function shownState(value: unknown): string {
  if (typeof value === 'string') return value;
  const running = (value as { running: string }).running;
  return running === 'working' ? 'running' : running;
}

function startSystem() {
  const prepared: Array<Deferred<{ workDir: string }>> = [];
  const outputs: Array<Deferred<LocalOutputFile[]>> = [];
  const local: LocalWorkspacePort = {
    prepare: () => {
      const d = deferred<{ workDir: string }>();
      prepared.push(d);
      return d.promise;
    },
    collectOutputs: () => {
      const d = deferred<LocalOutputFile[]>();
      outputs.push(d);
      return d.promise;
    },
    release: () => Promise.resolve(),
  };
  const { clock, server, runs, events, deps, claim } = fakeAttemptSystem({ local, holdInterrupt: true });
  const attempt: Attempt = startAttempt(deps, claim());
  let ended = false;
  void attempt.done.then(() => (ended = true));

  const control = (c: (typeof server.controls)[number]) => {
    server.controls.push(c);
    attempt.renewNow();
  };
  const run = () => runs.at(-1)!;
  const exec: Record<ModelEvent['type'], () => void> = {
    PREPARE_OK: () => prepared[0]!.resolve({ workDir: '/work/att-1' }),
    PREPARE_FAIL: () => prepared[0]!.reject(new Error('disk full')),
    AGENT_COMPLETED: () => run().finish({ sessionId: 'sess-1' }),
    AGENT_CRASHED: () =>
      run().finish({
        status: 'failed',
        sessionId: 'sess-1',
        error: { code: 'agent.crashed', message: 'crashed', retryable: true },
      }),
    AGENT_FAILED: () =>
      run().finish({
        status: 'failed',
        error: { code: 'agent.failed', message: 'bad key', retryable: false },
      }),
    AGENT_INTERRUPTED: () => run().finish({ status: 'interrupted' }),
    BACKOFF_ELAPSED: () => clock.advance(10_000),
    PUBLISH_NO_CHANGES: () => outputs[0]!.resolve([]),
    PUBLISH_FAIL: () => outputs[0]!.reject(new Error('cannot read outputs')),
    CANCEL: () => control({ type: 'cancel', reason: 'no longer needed' }),
    STOP: () => control({ type: 'stop' }),
    LEASE_LOST: () => {
      server.refuseWith = new ApiError(
        {
          code: 'lease.lost',
          status: 409,
          method: 'POST',
          path: '/v1/attempts/att-1/lease',
          serverCode: 'lease.lost',
        },
        'lease lost',
        { retryable: false },
      );
      attempt.renewNow();
    },
    INPUT_REQUESTED: () =>
      run().emit({
        type: 'question.requested',
        requestId: `q-${runs.length}`,
        questions: [{ id: '1', text: 'Which?', options: [], multiSelect: false, allowFreeText: true }],
      }),
    INPUT_RESOLVED: () => {
      const asked = events.filter((e) => e.type === 'interaction.requested').at(-1)!;
      control({
        type: 'interaction.answered',
        interactionId: asked.interactionId,
        answer: { kind: 'timeout' },
      });
    },
  };
  return { attempt, exec, runs, server, ended: () => ended };
}

const paths = createTestModel(model).getShortestPaths({
  filterEvents: (snapshot) => snapshot.status !== 'done',
});

describe('the attempt driver against its model', () => {
  it('has a path to every state of the model, retries included', () => {
    const reached = new Set(paths.flatMap((p) => p.steps.map((s) => shownState(s.state.value))));
    for (const state of [
      'preparing',
      'running',
      'awaiting_input',
      'stopping',
      'retrying',
      'publishing',
      'done',
      'lease_lost',
    ])
      expect(reached).toContain(state);
    expect(paths.some((p) => p.state.context.retries === MAX_RETRIES)).toBe(true);
  });

  it.each(
    paths.map(
      (p) =>
        [
          p.steps
            .map((s) => s.event.type)
            .slice(1)
            .join(' → ') || '(start)',
          p,
        ] as const,
    ),
  )('%s', async (_name, path) => {
    const sut = startSystem();
    for (const step of path.steps) {
      if (step.event.type.startsWith('xstate.')) continue;
      sut.exec[step.event.type as ModelEvent['type']]();
      const expected = shownState(step.state.value);
      await until(
        () =>
          expected === 'done'
            ? sut.ended() && sut.attempt.view().state === 'done'
            : sut.attempt.view().state === expected,
        `${step.event.type} to lead to ${expected}`,
      );
    }
    const { outcome } = path.state.context;
    // One agent start per try (the first, then one after each backoff), every retry resuming
    // the first try's session.
    const tries = path.steps.filter(
      (s) => s.event.type === 'PREPARE_OK' || s.event.type === 'BACKOFF_ELAPSED',
    );
    expect(sut.runs).toHaveLength(tries.length);
    for (const run of sut.runs.slice(1)) expect(run.input.resumeSessionId).toBe('sess-1');
    if (path.state.matches('done')) {
      expect(sut.server.completions).toHaveLength(1);
      expect(sut.server.completions[0]!.request.outcome).toBe(outcome);
    } else {
      expect(sut.server.completions).toEqual([]);
    }
  });
});
