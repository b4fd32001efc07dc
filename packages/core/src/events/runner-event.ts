import type {
  AgentId,
  InteractionAnswer,
  InteractionRequest,
  Outcome,
  PullRequestRef,
  Usage,
} from '@coord/runner-protocol';
import type { AgentEvent } from '../agents/agent-event.js';
import type { ErrorPayload } from '../errors.js';
import type { AttemptState } from '../machine/attempt-machine.js';
import type { ResolvedBy } from './resolved-by.js';

export type { ResolvedBy } from './resolved-by.js';

/** Where one attempt is in its lifecycle on this runner (DESIGN.md section 5): the machine's state names. */
export type { AttemptState } from '../machine/attempt-machine.js';

/** `signed_out`: the server refuses the runner's token; it takes no job until someone signs in again. */
export type RunnerStatus = 'starting' | 'idle' | 'busy' | 'offline' | 'signed_out' | 'stopping' | 'stopped';

interface JobScoped {
  /** Epoch milliseconds. */
  at: number;
  jobId: string;
  attemptId: string;
}

/**
 * Everything the runner does, as plain JSON (it crosses IPC and is written as NDJSON).
 * A failed job is a `job.finished` event, never a stream error.
 */
export type RunnerEvent =
  | {
      type: 'runner.status';
      at: number;
      status: RunnerStatus;
      runnerId?: string;
      message?: string;
      /** Which of the runner's server connections this is about (a runner with several). */
      connection?: string;
    }
  /** A failure the runner did not ask for; the same one again is said at most once a minute. */
  | { type: 'runner.error'; at: number; error: ErrorPayload }
  | (JobScoped & {
      type: 'job.claimed';
      attemptNumber: number;
      workspaceId: string;
      title: string;
      agent: AgentId | null;
    })
  | (JobScoped & { type: 'job.state'; state: AttemptState })
  | (JobScoped & { type: 'job.log'; level: 'info' | 'warn' | 'error'; message: string })
  /**
   * A transient agent failure is retried in place (same attempt, work directory and session):
   * why, which retry of how many, after how long, and the session it resumes.
   */
  | (JobScoped & {
      type: 'job.retry';
      retry: number;
      maxRetries: number;
      delayMs: number;
      reason: ErrorPayload;
      resumeSessionId: string | null;
    })
  | (JobScoped & { type: 'job.agent'; event: AgentEvent })
  /** The permission policy decided a tool call (allow, deny), or sent it to a person (ask), and why. */
  | (JobScoped & {
      type: 'approval.decided';
      requestId: string;
      toolName: string;
      decision: 'allow' | 'deny' | 'ask';
      reason: string;
      by: 'policy';
    })
  | (JobScoped & { type: 'interaction.requested'; interactionId: string; request: InteractionRequest })
  | (JobScoped & {
      type: 'interaction.resolved';
      interactionId: string;
      answer: InteractionAnswer;
      by: ResolvedBy;
    })
  | (JobScoped & {
      type: 'job.finished';
      outcome: Outcome;
      summary: string;
      pullRequest: PullRequestRef | null;
      outputs: string[] | null;
      error: ErrorPayload | null;
      /**
       * The agent's usage and session as its run reported them (absent from older spools): kept
       * with the finish so a report sent again after a restart is the request first sent.
       */
      usage?: Usage | null;
      sessionId?: string | null;
    });

export type RunnerEventType = RunnerEvent['type'];
export type RunnerEventOf<T extends RunnerEventType> = Extract<RunnerEvent, { type: T }>;
export type JobEvent = Extract<RunnerEvent, { jobId: string }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A job event as its attempt writes it: the time and the job and attempt ids are added on the way out. */
export type JobEventDraft = DistributiveOmit<JobEvent, 'at' | 'jobId' | 'attemptId'>;

export function isJobEvent(event: RunnerEvent): event is JobEvent {
  return 'jobId' in event;
}
