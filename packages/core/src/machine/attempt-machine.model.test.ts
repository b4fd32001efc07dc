import { describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup, waitFor } from 'xstate';
import { createTestModel } from 'xstate/graph';
import type { Outcome } from '@coord/runner-protocol';
import { CoordError } from '../errors.js';
import type { AgentResult } from '../runner/ports.js';
import { attemptMachine, type Publication, type ReportInput } from './attempt-machine.js';
import { deferred } from '../../test/deferred.js';

/**
 * Model-based test: an independent model of DESIGN.md section 5, written from the outside (what the
 * actors do and what people send), is walked along its shortest paths to every state; the real
 * machine must follow each path to the same state and report the outcome the model expects.
 */
type ModelEvent =
  | { type: 'PREPARE_OK' }
  | { type: 'PREPARE_FAIL' }
  | { type: 'AGENT_COMPLETED' }
  | { type: 'AGENT_FAILED' }
  | { type: 'AGENT_INTERRUPTED' }
  | { type: 'PUBLISH_PR' }
  | { type: 'PUBLISH_NO_CHANGES' }
  | { type: 'PUBLISH_FAIL' }
  | { type: 'REPORT_DONE' }
  | { type: 'CANCEL' }
  | { type: 'STOP' }
  | { type: 'LEASE_LOST' }
  | { type: 'INPUT_REQUESTED' }
  | { type: 'INPUT_RESOLVED' };

const to = (outcome: Outcome) => ({
  target: '#model.reporting',
  actions: { type: 'setOutcome' as const, params: { outcome } },
});

const model = setup({
  types: { context: {} as { outcome: Outcome | null }, events: {} as ModelEvent },
  actions: {
    setOutcome: assign((_, params: { outcome: Outcome }) => ({ outcome: params.outcome })),
  },
}).createMachine({
  id: 'model',
  initial: 'preparing',
  context: { outcome: null },
  on: { LEASE_LOST: '.lease_lost' },
  states: {
    preparing: {
      on: {
        PREPARE_OK: 'running',
        PREPARE_FAIL: to('failed'),
        CANCEL: to('cancelled'),
        STOP: to('stopped'),
      },
    },
    running: {
      initial: 'working',
      on: {
        AGENT_COMPLETED: '#model.publishing',
        AGENT_INTERRUPTED: to('stopped'),
        CANCEL: to('cancelled'),
      },
      states: {
        working: { on: { INPUT_REQUESTED: 'awaiting_input', STOP: 'stopping', AGENT_FAILED: to('failed') } },
        awaiting_input: { on: { INPUT_RESOLVED: 'working', STOP: 'stopping', AGENT_FAILED: to('failed') } },
        // A failure after a stop request is the stop's doing.
        stopping: { on: { AGENT_FAILED: to('stopped') } },
      },
    },
    publishing: {
      on: {
        PUBLISH_PR: to('succeeded'),
        PUBLISH_NO_CHANGES: to('no_changes'),
        PUBLISH_FAIL: to('failed'),
        CANCEL: to('cancelled'),
      },
    },
    reporting: { on: { REPORT_DONE: 'done' } },
    done: { type: 'final' },
    lease_lost: { type: 'final' },
  },
});

const agentResult = (status: AgentResult['status']): AgentResult => ({
  status,
  sessionId: 's',
  summary: status,
  usage: null,
  error: status === 'failed' ? { code: 'agent.crashed', message: 'crashed', retryable: true } : null,
});

function startSystem() {
  const d = {
    prepare: deferred<{ workDir: string }>(),
    agent: deferred<AgentResult>(),
    publish: deferred<Publication>(),
    report: deferred<void>(),
  };
  const reports: ReportInput[] = [];
  const actor = createActor(
    attemptMachine.provide({
      actors: {
        prepare: fromPromise(() => d.prepare.promise),
        runAgent: fromPromise(() => d.agent.promise),
        interruptAgent: fromPromise<void, { graceMs: number | null }>(async () => undefined),
        publish: fromPromise(() => d.publish.promise),
        report: fromPromise(({ input }) => {
          reports.push(input);
          return d.report.promise;
        }),
      },
    }),
    { input: { jobId: 'job-1', attemptId: 'att-1', rejection: null } },
  );
  actor.start();
  const exec: Record<ModelEvent['type'], () => void> = {
    PREPARE_OK: () => d.prepare.resolve({ workDir: '/w' }),
    PREPARE_FAIL: () => d.prepare.reject(new CoordError('git.clone_failed', 'no clone')),
    AGENT_COMPLETED: () => d.agent.resolve(agentResult('completed')),
    AGENT_FAILED: () => d.agent.resolve(agentResult('failed')),
    AGENT_INTERRUPTED: () => d.agent.resolve(agentResult('interrupted')),
    PUBLISH_PR: () =>
      d.publish.resolve({
        outcome: 'succeeded',
        pullRequest: { url: 'https://forge.example/o/r/pull/1', number: 1, branch: 'coord/x' },
        outputs: null,
      }),
    PUBLISH_NO_CHANGES: () => d.publish.resolve({ outcome: 'no_changes', pullRequest: null, outputs: null }),
    PUBLISH_FAIL: () => d.publish.reject(new CoordError('git.push_failed', 'no push')),
    REPORT_DONE: () => d.report.resolve(),
    CANCEL: () => actor.send({ type: 'CANCEL' }),
    STOP: () => actor.send({ type: 'STOP' }),
    LEASE_LOST: () => actor.send({ type: 'LEASE_LOST' }),
    INPUT_REQUESTED: () => actor.send({ type: 'INPUT_REQUESTED' }),
    INPUT_RESOLVED: () => actor.send({ type: 'INPUT_RESOLVED' }),
  };
  return { actor, exec, reports };
}

const testModel = createTestModel(model);
// Nothing happens after a final state.
const paths = testModel.getShortestPaths({
  filterEvents: (snapshot) => snapshot.status !== 'done',
});

describe('attemptMachine against its model', () => {
  it('has a path to every state of the model', () => {
    const reached = new Set(paths.flatMap((p) => p.steps.map((s) => JSON.stringify(s.state.value))));
    for (const state of [
      '"preparing"',
      '{"running":"working"}',
      '{"running":"awaiting_input"}',
      '{"running":"stopping"}',
      '"publishing"',
      '"reporting"',
      '"done"',
      '"lease_lost"',
    ]) {
      expect(reached).toContain(state);
    }
    expect(paths.length).toBeGreaterThan(15);
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
      const expected = step.state.value;
      await waitFor(sut.actor, (s) => s.matches(expected as never), { timeout: 1_000 });
    }
    // The model sets an outcome exactly when it enters reporting.
    const outcome = path.state.context.outcome;
    if (path.state.matches('lease_lost')) {
      // A report already under way is abandoned; none is started after the lease is lost.
      expect(sut.reports).toHaveLength(outcome === null ? 0 : 1);
    } else if (path.state.matches('reporting') || path.state.matches('done')) {
      expect(sut.reports).toHaveLength(1);
      expect(sut.reports[0]?.finish.outcome).toBe(outcome);
      expect(sut.reports[0]?.finish.error === null).toBe(
        ['succeeded', 'no_changes', 'stopped'].includes(outcome!),
      );
    } else {
      expect(sut.reports).toEqual([]);
    }
    sut.actor.stop();
  });
});
