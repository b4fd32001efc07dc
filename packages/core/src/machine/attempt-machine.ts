import type { Outcome, PullRequestRef } from '@coord/runner-protocol';
import { assign, fromPromise, setup, type StateValueFrom } from 'xstate';
import { toErrorPayload, type ErrorPayload } from '../errors.js';
import { isRetryableInPlace } from './failure-class.js';
import type { AgentResult } from '../runner/ports.js';

/**
 * The lifecycle of one attempt on the runner (DESIGN.md section 5), as pure configuration: the
 * actors are named here and provided by the runner (`attemptMachine.provide({ actors })`), so tests
 * swap them. It covers the happy path, failure, cancel, graceful stop, lease loss, and in-place
 * retries: a transient failure of the agent (crash, timeout, stall) waits in `retrying` (backoff),
 * then runs the agent again in the same work directory, resuming its session, within the budget.
 */

export interface Publication {
  pullRequest: PullRequestRef | null;
  outputs: string[] | null;
  /** `no_changes` when the agent decided nothing needed changing. */
  outcome: Extract<Outcome, 'succeeded' | 'no_changes'>;
}

export interface Finish {
  outcome: Outcome;
  error: ErrorPayload | null;
}

export interface AttemptMachineContext {
  jobId: string;
  attemptId: string;
  workDir: string | null;
  agentResult: AgentResult | null;
  publication: Publication | null;
  finish: Finish | null;
  stopRequested: boolean;
  /** The grace the stop gave the agent; null for the runner's default. */
  stopGraceMs: number | null;
  cancelReason: string | null;
  /** The agent session to resume next: the previous attempt's, then the latest try's. */
  agentSessionId: string | null;
  /** In-place retries so far, and how many the job's budget allows this attempt. */
  retries: number;
  maxRetries: number;
  /** Why the last try failed (what `retrying` waits after). */
  lastFailure: ErrorPayload | null;
  /** Set when a restarted runner took the attempt up again (see `Reattach`). */
  reattach: Reattach | null;
}

export type AttemptMachineEvent =
  | { type: 'CANCEL'; reason?: string }
  /**
   * A graceful stop: the agent gets `graceMs` (the server's, else the runner's default) to finish,
   * then is terminated; with `failure`, the attempt then fails with it (a budget spent, say).
   */
  | { type: 'STOP'; failure?: ErrorPayload; graceMs?: number }
  /** A forced stop (the runner is stopped at once): the agent is killed now; the attempt ends `stopped`. */
  | { type: 'STOP_NOW' }
  | { type: 'LEASE_LOST' }
  | { type: 'INPUT_REQUESTED' }
  | { type: 'INPUT_RESOLVED' };

export interface AttemptMachineInput {
  jobId: string;
  attemptId: string;
  /** Set when the assignment could not be used at all (bad payload, missing agent): report it. */
  rejection: ErrorPayload | null;
  /** The session of an earlier attempt to resume (default none). */
  resumeSessionId?: string | null;
  /** In-place retries of transient agent failures this attempt may make (default 0). */
  maxRetries?: number;
  /**
   * A restarted runner taking the attempt up again where its checkpoint says it was (see
   * runner/checkpoint.ts): the machine starts there instead of at `preparing`.
   */
  reattach?: Reattach | null;
}

/** The states a checkpoint names: where a restarted runner can take an attempt up again. */
export type ResumableStep = 'preparing' | 'running' | 'publishing' | 'reporting';

/** Where a reattached attempt resumes, and what the states before it left. */
export interface Reattach {
  step: ResumableStep;
  workDir: string | null;
  agentSessionId: string | null;
  retries: number;
  agentResult: AgentResult | null;
  publication: Publication | null;
  finish: Finish | null;
}

export interface RunAgentInput {
  workDir: string;
  resumeSessionId: string | null;
  /** 0 for the first try, then the number of the retry. */
  retry: number;
}

export interface RetryWaitInput {
  /** The number of the coming retry (1 for the first). */
  retry: number;
  maxRetries: number;
  failure: ErrorPayload;
  resumeSessionId: string | null;
}

export interface ReportInput {
  finish: Finish;
  agentResult: AgentResult | null;
  publication: Publication | null;
}

const notProvided = (name: string) =>
  fromPromise<never, unknown>(() => Promise.reject(new Error(`actor ${name} was not provided`)));

const failed = (error: unknown): Finish => ({ outcome: 'failed', error: toErrorPayload(error) });

/**
 * A transient agent failure after the in-place retries ran out: it says how many tries were
 * made, and a new attempt is not asked for (the retries spent the job's budget).
 */
function gaveUp(context: AttemptMachineContext, error: ErrorPayload | null): ErrorPayload | null {
  if (!error || context.retries === 0 || !isRetryableInPlace(error)) return error;
  return {
    ...error,
    message: `${error.message} (gave up after ${context.retries + 1} tries in this attempt)`,
    retryable: false,
  };
}

export const attemptMachine = setup({
  types: {
    context: {} as AttemptMachineContext,
    events: {} as AttemptMachineEvent,
    input: {} as AttemptMachineInput,
  },
  actors: {
    prepare: notProvided('prepare') as unknown as ReturnType<typeof fromPromise<{ workDir: string }, void>>,
    runAgent: notProvided('runAgent') as unknown as ReturnType<
      typeof fromPromise<AgentResult, RunAgentInput>
    >,
    /** The backoff before a retry in place; the runner says why and how long (an event). */
    waitToRetry: notProvided('waitToRetry') as unknown as ReturnType<
      typeof fromPromise<void, RetryWaitInput>
    >,
    interruptAgent: notProvided('interruptAgent') as unknown as ReturnType<
      typeof fromPromise<void, { graceMs: number | null }>
    >,
    publish: notProvided('publish') as unknown as ReturnType<
      typeof fromPromise<Publication, { workDir: string; agentResult: AgentResult }>
    >,
    report: notProvided('report') as unknown as ReturnType<typeof fromPromise<void, ReportInput>>,
  },
  actions: {
    /**
     * Writes the attempt's checkpoint as a state is entered, before its actor starts (DESIGN.md
     * section 5): provided by the runner; a no-op here.
     */
    checkpoint: (_, _params: { step: ResumableStep }) => {},
    recordCancel: assign({
      finish: ({ event }) => ({
        outcome: 'cancelled' as const,
        error: {
          code: 'job.cancelled',
          message: (event.type === 'CANCEL' ? event.reason : undefined) ?? 'Cancelled by request',
          retryable: false,
        },
      }),
    }),
    // A stop with a reason to fail (a spent budget) ends failed, whatever the agent then says.
    recordStop: assign({
      finish: ({ context, event }) =>
        event.type === 'STOP' && event.failure
          ? { outcome: 'failed' as const, error: event.failure }
          : context.finish,
      stopGraceMs: ({ event }) => (event.type === 'STOP' ? (event.graceMs ?? null) : null),
    }),
    recordStopped: assign({
      stopRequested: true,
      finish: ({ context }) => context.finish ?? { outcome: 'stopped' as const, error: null },
    }),
  },
  guards: {
    rejected: ({ context }) => context.finish !== null,
    // A reattached attempt goes back to the step its checkpoint names (the work dir it needs is there).
    resumesRunning: ({ context }) => context.reattach?.step === 'running' && context.workDir !== null,
    resumesPublishing: ({ context }) =>
      context.reattach?.step === 'publishing' && context.workDir !== null && context.agentResult !== null,
    agentCompleted: ({ event }) =>
      (event as unknown as { output: AgentResult }).output.status === 'completed',
    retryInPlace: ({ context, event }) => {
      const { output } = event as unknown as { output: AgentResult };
      return (
        output.status === 'failed' &&
        isRetryableInPlace(output.error) &&
        context.retries < context.maxRetries &&
        !context.stopRequested &&
        context.finish === null
      );
    },
  },
}).createMachine({
  id: 'attempt',
  initial: 'claimed',
  context: ({ input }) => ({
    jobId: input.jobId,
    attemptId: input.attemptId,
    workDir: input.reattach?.workDir ?? null,
    agentResult: input.reattach?.agentResult ?? null,
    publication: input.reattach?.publication ?? null,
    finish: input.rejection
      ? { outcome: 'failed', error: input.rejection }
      : input.reattach?.step === 'reporting'
        ? input.reattach.finish
        : null,
    stopRequested: false,
    stopGraceMs: null,
    cancelReason: null,
    agentSessionId: input.reattach?.agentSessionId ?? input.resumeSessionId ?? null,
    retries: input.reattach?.retries ?? 0,
    maxRetries: input.maxRetries ?? 0,
    lastFailure: null,
    reattach: input.reattach ?? null,
  }),
  on: {
    // The server gave the attempt away: stop at once and report nothing more.
    LEASE_LOST: '.lease_lost',
  },
  states: {
    claimed: {
      always: [
        { guard: 'rejected', target: 'reporting' },
        { guard: 'resumesRunning', target: 'running' },
        { guard: 'resumesPublishing', target: 'publishing' },
        { target: 'preparing' },
      ],
    },
    preparing: {
      entry: { type: 'checkpoint', params: { step: 'preparing' } },
      invoke: {
        src: 'prepare',
        onDone: { target: 'running', actions: assign({ workDir: ({ event }) => event.output.workDir }) },
        onError: { target: 'reporting', actions: assign({ finish: ({ event }) => failed(event.error) }) },
      },
      on: {
        CANCEL: { target: 'reporting', actions: 'recordCancel' },
        STOP: {
          target: 'reporting',
          actions: assign({ finish: () => ({ outcome: 'stopped' as const, error: null }) }),
        },
        STOP_NOW: { target: 'reporting', actions: 'recordStopped' },
      },
    },
    running: {
      entry: { type: 'checkpoint', params: { step: 'running' } },
      invoke: {
        src: 'runAgent',
        input: ({ context }) => ({
          workDir: context.workDir ?? '',
          resumeSessionId: context.agentSessionId,
          retry: context.retries,
        }),
        onDone: [
          {
            guard: 'agentCompleted',
            target: 'publishing',
            actions: assign({ agentResult: ({ event }) => event.output }),
          },
          {
            guard: 'retryInPlace',
            target: 'retrying',
            actions: assign({
              retries: ({ context }) => context.retries + 1,
              lastFailure: ({ event }) => event.output.error,
              agentSessionId: ({ context, event }) => event.output.sessionId ?? context.agentSessionId,
            }),
          },
          {
            target: 'reporting',
            actions: assign({
              agentResult: ({ event }) => event.output,
              finish: ({ context, event }) =>
                context.finish ??
                (event.output.status === 'interrupted' || context.stopRequested
                  ? { outcome: 'stopped', error: null }
                  : {
                      outcome: 'failed',
                      error: gaveUp(context, event.output.error) ?? {
                        code: 'agent.failed',
                        message: 'The agent failed without giving a reason',
                        retryable: false,
                      },
                    }),
            }),
          },
        ],
        onError: { target: 'reporting', actions: assign({ finish: ({ event }) => failed(event.error) }) },
      },
      initial: 'working',
      states: {
        working: {
          on: {
            INPUT_REQUESTED: 'awaiting_input',
            STOP: { target: 'stopping', actions: 'recordStop' },
          },
        },
        awaiting_input: {
          on: {
            INPUT_RESOLVED: 'working',
            STOP: { target: 'stopping', actions: 'recordStop' },
          },
        },
        stopping: {
          entry: assign({ stopRequested: true }),
          // Graceful: interrupt, let the agent exit on its own; the runAgent actor then settles.
          invoke: {
            src: 'interruptAgent',
            input: ({ context }) => ({ graceMs: context.stopGraceMs }),
            // If the agent cannot even be interrupted, stop it the hard way: leaving `running`
            // aborts runAgent, which kills it. (Unhandled, the error would crash the whole actor.)
            onError: {
              target: '#attempt.reporting',
              actions: assign({ finish: () => ({ outcome: 'stopped' as const, error: null }) }),
            },
          },
        },
      },
      on: {
        // Cancel is immediate: leaving `running` stops the runAgent actor, whose abort kills the agent.
        CANCEL: { target: 'reporting', actions: 'recordCancel' },
        // So is a forced stop (also while a graceful one waits out its grace).
        STOP_NOW: { target: 'reporting', actions: 'recordStopped' },
      },
    },
    retrying: {
      // A restart during the backoff resumes the agent (with the retry counted).
      entry: { type: 'checkpoint', params: { step: 'running' } },
      invoke: {
        src: 'waitToRetry',
        input: ({ context }) => ({
          retry: context.retries,
          maxRetries: context.maxRetries,
          failure: context.lastFailure!,
          resumeSessionId: context.agentSessionId,
        }),
        onDone: 'running',
        onError: { target: 'reporting', actions: assign({ finish: ({ event }) => failed(event.error) }) },
      },
      on: {
        // No agent runs while waiting: a cancel or a stop ends the attempt here.
        CANCEL: { target: 'reporting', actions: 'recordCancel' },
        STOP_NOW: { target: 'reporting', actions: 'recordStopped' },
        STOP: {
          target: 'reporting',
          actions: assign({
            finish: ({ event }) =>
              event.failure
                ? { outcome: 'failed' as const, error: event.failure }
                : { outcome: 'stopped' as const, error: null },
          }),
        },
      },
    },
    publishing: {
      entry: { type: 'checkpoint', params: { step: 'publishing' } },
      invoke: {
        src: 'publish',
        input: ({ context }) => ({ workDir: context.workDir ?? '', agentResult: context.agentResult! }),
        onDone: {
          target: 'reporting',
          actions: assign({
            publication: ({ event }) => event.output,
            finish: ({ event }) => ({ outcome: event.output.outcome, error: null }),
          }),
        },
        onError: { target: 'reporting', actions: assign({ finish: ({ event }) => failed(event.error) }) },
      },
      on: {
        CANCEL: { target: 'reporting', actions: 'recordCancel' },
        // A push in flight is abandoned; publishing again later is idempotent (one PR per branch).
        STOP_NOW: { target: 'reporting', actions: 'recordStopped' },
      },
    },
    reporting: {
      entry: { type: 'checkpoint', params: { step: 'reporting' } },
      invoke: {
        src: 'report',
        input: ({ context }) => ({
          finish: context.finish ?? failed(new Error('The attempt ended without an outcome')),
          agentResult: context.agentResult,
          publication: context.publication,
        }),
        onDone: 'done',
        onError: 'done',
      },
    },
    done: { type: 'final' },
    lease_lost: { type: 'final' },
  },
});

export type AttemptMachine = typeof attemptMachine;

type AttemptStateValue = StateValueFrom<AttemptMachine>;
type RunningSubstate = NonNullable<Extract<AttemptStateValue, object>['running']>;

/**
 * Where one attempt is, as people see it, named by the machine itself: a top-level state, or a
 * sub-state of `running` other than plain `working` (shown as `running`).
 */
export type AttemptState = Extract<AttemptStateValue, string> | Exclude<RunningSubstate, 'working'>;

export function attemptStateOf(value: AttemptStateValue): AttemptState {
  if (typeof value === 'string') return value;
  const running = value.running;
  return running === undefined || running === 'working' ? 'running' : running;
}
