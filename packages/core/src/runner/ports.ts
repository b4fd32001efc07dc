import type {
  AgentId,
  AgentSpec,
  AttemptInfo,
  DetectedAgent,
  ForgeCredentials,
  InteractionAnswer,
  PullRequestRef,
  Repository,
  Usage,
} from '@coord/runner-protocol';
import type { Observable } from 'rxjs';
import type { AgentEvent } from '../agents/agent-event.js';
import type { ErrorPayload } from '../errors.js';

/**
 * Ports: everything with side effects reaches core through these interfaces. They are declared
 * here and implemented by @coord/runner-agents, @coord/runner-git and the apps.
 */

// ---------------------------------------------------------------------------------------------
// Agents

export interface AgentRunInput {
  jobId: string;
  attemptId: string;
  attemptNumber: number;
  title: string;
  instructions: string;
  /** The attempt's work directory (a clone for repository jobs, a scratch dir for local ones). */
  workDir: string;
  agent: AgentSpec;
  /** Session of an earlier attempt to resume, when the agent supports it. */
  resumeSessionId: string | null;
  /**
   * What the work is part of, for the agent's prompt: the repository and branch the runner will
   * commit to, or a local job whose files are its outputs. Absent for callers that do not say.
   */
  workContext?:
    { kind: 'repository'; repository: string; branch: string; baseBranch: string } | { kind: 'local' };
  /** Earlier attempts of the job, oldest first, so a new attempt knows what was tried. */
  earlierAttempts?: ReadonlyArray<{
    number: number;
    status: string;
    summary: string | null;
    error: string | null;
  }>;
  /**
   * Extra environment for the agent process (never secrets of the runner's own). The runner puts
   * `ATTEMPT_RUN_ENV` here: every process of this start inherits it, so a restarted runner can
   * find what a killed one left running (see `RunnerOptions.stopLeftoverProcesses`).
   */
  env: Readonly<Record<string, string>>;
  /**
   * The default permission policy's rule: the agent never reads or writes inside these paths (the
   * runner's state dir, its credentials), except inside its own `workDir`. See isProtectedPath.
   */
  protectedPaths: readonly string[];
}

export interface AgentResult {
  /** `completed`: the agent finished its turn; `interrupted`: stopped on request. */
  status: 'completed' | 'interrupted' | 'failed';
  sessionId: string | null;
  /** The agent's final words, used as the work summary. */
  summary: string;
  usage: Usage | null;
  /** Set when status is `failed`; `retryable` says whether a new attempt may help. */
  error: ErrorPayload | null;
}

/** One running agent process. */
export interface AgentRun {
  /** Normalized output, in order. Completes when the process has exited; never errors. */
  readonly events$: Observable<AgentEvent>;
  /** Settles once the process has exited; never rejects (failures are in the result). */
  readonly result: Promise<AgentResult>;
  /** Delivers a person's answer to an `approval.requested` / `question.requested`. */
  respond(requestId: string, answer: InteractionAnswer): void;
  /** Graceful stop: let the agent finish its current operation and exit, saving its session. */
  interrupt(graceMs: number): Promise<void>;
  /** Hard stop: terminate the process tree now. */
  kill(): void;
}

/** What detection found, for this machine's people: the wire's DetectedAgent plus the program's path (never sent). */
export type AgentDetection = DetectedAgent & { path?: string | null };

export interface AgentPort {
  readonly id: AgentId;
  /** Shown to people; the demo agent says it is a demo here. */
  readonly displayName: string;
  detect(): Promise<AgentDetection>;
  start(input: AgentRunInput): AgentRun;
}

// ---------------------------------------------------------------------------------------------
// Workspaces (where the agent works, and how its work is delivered)

export interface PrepareInput {
  job: { id: string; title: string };
  attempt: AttemptInfo;
  repository: Repository;
  forge: ForgeCredentials | null;
  signal: AbortSignal;
  log: (message: string) => void;
  /**
   * Wraps a wait on a lock held by another job (a mirror being fetched): the attempt's slot is
   * free for other work meanwhile. Optional for callers; a port that never waits ignores it.
   */
  whileWaiting?: <T>(wait: () => Promise<T>) => Promise<T>;
}

export interface PreparedWorkspace {
  workDir: string;
  branch: string;
  baseBranch: string;
  /** The commit this attempt's own work starts from (after catching up with a moved base). */
  baseCommit: string;
  /**
   * The job branch's commit on origin when prepare began, if the branch existed (a revision):
   * publish pushes what is new since, and a branch rebased onto a moved base replaces exactly it.
   */
  originTip?: string | null | undefined;
}

export interface PublishInput {
  workspace: PreparedWorkspace;
  job: {
    id: string;
    title: string;
    instructions: string;
    /** The job's page on the server, linked from the pull request (the assignment's `job.webUrl`). */
    webUrl?: string | undefined;
    /** Credited as co-author of the commits (the assignment's `job.submitter`). */
    submitter?: { name: string; email: string } | null | undefined;
  };
  attempt: AttemptInfo;
  repository: Repository;
  forge: ForgeCredentials | null;
  summary: string;
  agentDisplayName: string;
  signal: AbortSignal;
  log: (message: string) => void;
}

export type PublishResult =
  | { kind: 'pull_request'; pullRequest: PullRequestRef; commit: string; filesChanged: number }
  | { kind: 'no_changes' };

/** Repository jobs: clone, branch, commit, push, open or update the pull request. */
export interface RepositoryWorkspacePort {
  prepare(input: PrepareInput): Promise<PreparedWorkspace>;
  publish(input: PublishInput): Promise<PublishResult>;
  /** Removes an attempt's work tree once its work is delivered (it is in the PR now). */
  release(workDir: string): Promise<void>;
}

export interface LocalOutputFile {
  /** Relative to the work directory, `/`-separated. */
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

/** Local jobs: a scratch directory whose files are the deliverable. */
export interface LocalWorkspacePort {
  prepare(input: { job: { id: string }; attempt: AttemptInfo }): Promise<{ workDir: string }>;
  /**
   * The outputs the agent left: every regular file under `outputs` (a folder of the work directory,
   * the job's `context.outputs`; the whole directory when absent). Refuses, naming them, files or
   * links that lead outside the work directory and outputs over the size and count limits.
   */
  collectOutputs(workDir: string, options?: { outputs?: string | undefined }): Promise<LocalOutputFile[]>;
  /** Removes an attempt's scratch directory once its outputs are uploaded. */
  release(workDir: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Time (injected so that tests can control it)

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A number in [0, 1): the jitter of every backoff, so tests can fix it. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Names the marker each agent start carries in its environment (a fresh random value per start,
 * saved in the attempt's checkpoint before the agent starts).
 */
export const ATTEMPT_RUN_ENV = 'COORD_RUNNER_ATTEMPT_RUN';
