import type {
  AgentId,
  InteractionAnswer,
  Platform,
  RegisterRunnerResponse,
  Timings,
} from '@coord/runner-protocol';
import { homedir } from 'node:os';
import type { Observable } from 'rxjs';
import type { AnswerOutcome, CoordClient } from '../client/coord-client.js';
import type { RunnerEvent } from '../events/runner-event.js';
import type { PermissionSettings } from '../policy/permission-policy.js';
import { agentRetryBackoff, type Backoff } from '../retry.js';
import type { EventSpool } from '../store/event-spool.js';
import type { ActiveAttemptView, AttemptSettings } from './attempt-driver.js';
import type { AgentPort, Clock, LocalWorkspacePort, RepositoryWorkspacePort } from './ports.js';
import type { Credentials } from './sign-in.js';
import type { SlotPool } from './slot-pool.js';

export interface RunnerIdentity {
  /** Stable per machine and state dir: re-registering with it keeps the runner id. */
  machineId: string;
  name: string;
  platform: Platform;
  arch: string;
  version: string;
  labels?: string[];
}

export interface RunnerOptions {
  client: CoordClient;
  identity: RunnerIdentity;
  agents: AgentPort[];
  /** Agents detected but switched off by the user. */
  disabledAgents?: AgentId[];
  repositories?: RepositoryWorkspacePort;
  local?: LocalWorkspacePort;
  spool: EventSpool;
  /** Jobs run at once (default 1). */
  capacity?: number;
  /** At most this many jobs of one agent at once (say `{ 'claude-code': 2 }`). */
  agentLimits?: Readonly<Record<string, number>>;
  /**
   * The slots this runner claims into, when it is one connection of several (`createRunnerGroup`
   * shares one pool): then `capacity` and `agentLimits` are the pool's, not this option's.
   */
  slots?: SlotPool;
  clock?: Clock;
  /** Overrides of the server's timings (tests, benchmarks). */
  timings?: Partial<Timings>;
  /**
   * Upload batching. `maxBytes` caps one request's serialized events (default 2 MiB, and below the
   * limit the server advertises at registration).
   */
  eventBatch?: { intervalMs?: number; maxEvents?: number; maxBytes?: number };
  /**
   * Graceful stop: how long the agent may take to finish before it is terminated (default 10 s;
   * a stop from the server may carry its own).
   */
  stopGraceMs?: number;
  /**
   * Where the user's sign-in lives. When the server refuses the token (expired, revoked), the
   * runner is `signed_out` and reads these every `signInPollMs` (default 5 s) and at
   * `checkSignIn()`, and goes on with a new token once the server accepts it. Without them, a
   * refused token keeps the runner signed out until it is restarted.
   */
  credentials?: Credentials;
  signInPollMs?: number;
  /**
   * Once stopping, how long the runner keeps trying to deliver events and reports the server does
   * not take (an outage, a refusal); then it stops anyway and they stay in the spool for the next
   * start (default 10 s).
   */
  deliveryGraceMs?: number;
  /** Unanswered questions and approvals fall back to deny after this long (default 30 min). */
  interactionTimeoutMs?: number;
  /**
   * Keep every attempt's work tree. By default a work tree is removed once its work is delivered
   * (succeeded, no changes, cancelled); failed and stopped ones are kept for inspection and retries.
   */
  keepWorkTrees?: boolean;
  /**
   * Secrets the runner holds besides its Coord token and forge tokens (which register themselves):
   * the agents' API keys. They are redacted from every event and block a push that adds them.
   */
  secrets?: readonly string[];
  /**
   * The runner's private state (state dir, credentials file): agents are told never to read or
   * write inside it, except in their own work dir (see `AgentRunInput.protectedPaths`).
   */
  protectedPaths?: readonly string[];
  /**
   * How tool calls the agents ask about are decided: automatically by mode and rules, or by a
   * person (default: every one asks). Dangerous calls always ask; the runner's credentials never.
   */
  permissions?: PermissionSettings;
  /** The user's home, where the policy looks for credential files (default: the OS's). */
  homeDir?: string;
  /**
   * Transient agent failures (a crash, a timeout, a stall) are retried in place: same attempt,
   * work directory and agent session, after a jittered backoff. `maxRetries` caps them (default:
   * the job's budget, `maxAttempts` less the attempts before); `stallMs` is how long an agent may
   * write nothing while working before it counts as stalled (default 15 min).
   */
  agentRetries?: { maxRetries?: number; backoff?: Partial<Backoff>; stallMs?: number };
  /**
   * Kills the processes carrying an agent start's marker (`ATTEMPT_RUN_ENV`): after a restart, what
   * the killed run's agent left running is stopped before the agent starts again (the agents
   * package's `stopLeftoverProcesses`). Resolves with how many it killed.
   */
  stopLeftoverProcesses?: (attemptRunMarker: string) => Promise<number>;
}

export interface Runner {
  /** Everything the runner does. Hot: subscribe before `start()` to see registration. */
  readonly events$: Observable<RunnerEvent>;
  readonly runnerId: string | null;
  /** Registers and starts claiming; resolves once registered, rejects if registration fails. */
  start(): Promise<RegisterRunnerResponse>;
  /**
   * Stops claiming. `drain` (default) lets active attempts finish; `graceful` asks their agents to
   * stop (they save their session and the job is requeued); `force` ends their agents at once
   * and reports the attempts stopped (what the server does not take within a moment stays in the
   * spool). Resolves when nothing is active; then `events$` completes.
   */
  stop(options?: { mode?: 'drain' | 'graceful' | 'force' }): Promise<void>;
  /** Signed out: reads the credentials now (someone may just have signed in); true once signed in. */
  checkSignIn(): Promise<boolean>;
  /** True when one of this runner's active attempts is asking `interactionId`. */
  hasInteraction(interactionId: string): boolean;
  /** Answers a pending question or approval from this runner's own UI; the first answer wins. */
  answer(interactionId: string, answer: InteractionAnswer): Promise<AnswerOutcome>;
  activeAttempts(): ActiveAttemptView[];
  /**
   * Stops one running attempt gracefully, as a stop from the server does (the agent saves its
   * session; the attempt ends `stopped`). False when it is not running here.
   */
  stopAttempt(attemptId: string): boolean;
}

/** How attempts run, from the options and the defaults (DESIGN.md section 10). */
export function attemptSettings(options: RunnerOptions): AttemptSettings {
  return {
    stopGraceMs: options.stopGraceMs ?? 10_000,
    deliveryGraceMs: options.deliveryGraceMs ?? 10_000,
    interactionTimeoutMs: options.interactionTimeoutMs ?? 30 * 60_000,
    permissions: options.permissions ?? { mode: 'ask' },
    homeDir: options.homeDir ?? homedir(),
    protectedPaths: options.protectedPaths ?? [],
    keepWorkTrees: options.keepWorkTrees ?? false,
    agentStallMs: options.agentRetries?.stallMs ?? 15 * 60_000,
    maxAgentRetries: options.agentRetries?.maxRetries ?? Number.POSITIVE_INFINITY,
    agentRetryBackoff: { ...agentRetryBackoff, ...options.agentRetries?.backoff },
    stopLeftoverProcesses: options.stopLeftoverProcesses,
  };
}
