import { createMemoryEventSpool } from '../src/store/event-spool.js';
import type { RunnerEvent } from '../src/events/runner-event.js';
import type { AttemptDeps, ClaimedAttempt } from '../src/runner/attempt-driver.js';
import { createCompletionDelivery } from '../src/runner/completion.js';
import { claimedAttempt } from '../src/runner/eligibility.js';
import { createEventUploader } from '../src/runner/event-uploader.js';
import type { AgentPort, LocalWorkspacePort } from '../src/runner/ports.js';
import { FakeCoordServer, fakeAgentPort, fakeAgentRun, type FakeAgentRun } from './fake-ports.js';
import { ManualClock } from './manual-clock.js';

/** A claim's raw assignment: attempt 1 of a local job for `claude-code` (3 attempts, the default). */
export const rawAssignment = (agent: Record<string, unknown> = {}) => ({
  attempt: {
    id: 'att-1',
    jobId: 'job-1',
    workspaceId: 'ws-1',
    number: 1,
    leaseExpiresAt: '2030-01-01T00:00:00.000Z',
    previousSessionId: null,
    branch: null,
  },
  job: {
    id: 'job-1',
    spec: {
      title: 'Write notes',
      instructions: 'Write notes.md',
      context: { type: 'local' },
      agent: { id: 'claude-code', ...agent },
    },
  },
  forge: null,
});

/**
 * What an attempt driver runs against in unit tests: a fake server, a memory spool, a manual
 * clock and a `claude-code` agent port whose runs the test scripts (`runs`, newest last).
 */
export function fakeAttemptSystem(options: {
  local: LocalWorkspacePort;
  /** A graceful stop waits for the test to end the run (see fakeAgentRun). */
  holdInterrupt?: boolean;
}) {
  const clock = new ManualClock();
  const server = new FakeCoordServer();
  const spool = createMemoryEventSpool();
  const runs: FakeAgentRun[] = [];
  const events: RunnerEvent[] = [];
  const errors: unknown[] = [];
  const ended: string[] = [];
  const port = fakeAgentPort('claude-code', {
    start: (input) => {
      const run = fakeAgentRun(input, { holdInterrupt: options.holdInterrupt ?? false });
      runs.push(run);
      return run;
    },
  });
  const deps: AttemptDeps = {
    session: {
      runnerId: 'run-1',
      timings: { leaseRenewMs: 15_000, leaseTtlMs: 60_000, claimWaitMs: 25_000 },
      batchBytes: 1 << 20,
    },
    client: server.client,
    spool,
    clock,
    repositories: undefined,
    local: options.local,
    whileWaiting: (_attemptId, wait) => wait(),
    settings: {
      stopGraceMs: 10_000,
      deliveryGraceMs: 10_000,
      interactionTimeoutMs: 30 * 60_000,
      permissions: { mode: 'ask' },
      homeDir: '/home/u',
      protectedPaths: [],
      keepWorkTrees: false,
      agentStallMs: 60_000,
      maxAgentRetries: Number.POSITIVE_INFINITY,
      agentRetryBackoff: { minDelayMs: 1_000, maxDelayMs: 10_000 },
    },
    uploaderFor: (attemptId, onLeaseLost) =>
      createEventUploader({
        client: server.client,
        spool,
        runnerId: 'run-1',
        attemptId,
        clock,
        intervalMs: 250,
        maxBatch: 500,
        onError: (error) => errors.push(error),
        onLeaseLost,
      }),
    deliver: createCompletionDelivery({
      client: server.client,
      spool,
      clock,
      runnerId: 'run-1',
      stopped: new Promise(() => {}),
      forced: new Promise(() => {}),
      deliveryGraceMs: 10_000,
      reportError: (error) => errors.push(error),
      whenSignedIn: () => Promise.resolve(),
    }),
    emit: (event) => events.push(event),
    reportError: (error) => errors.push(error),
    onStarted: () => {},
    onEnded: (attempt) => ended.push(attempt.attemptId),
  };
  /** The claim of `rawAssignment(agent)` on a runner with `agents` (default: the fake port). */
  const claim = (agent: Record<string, unknown> = {}, agents: AgentPort[] = [port]): ClaimedAttempt => {
    const claimed = claimedAttempt(rawAssignment(agent), {
      agents,
      disabledAgents: new Set(),
      repositoryJobs: false,
      localJobs: true,
    });
    if (claimed instanceof Error) throw claimed;
    return claimed;
  };
  return { clock, server, spool, runs, events, errors, ended, deps, claim };
}
