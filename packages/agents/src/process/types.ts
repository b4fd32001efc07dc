import type { AgentEvent } from '@coord/runner-core';
import type { AgentId, InteractionAnswer, Usage } from '@coord/runner-protocol';

/**
 * What the driver learns about a run while it goes. The driver updates it from the events the
 * parser returns (session id, usage, final text, turn end); a parser may also set fields itself
 * when its agent reports them outside the normalized events.
 */
export interface AgentRunState {
  sessionId: string | null;
  usage: Usage | null;
  /** The last assistant message, used as the summary when the turn end carries no final text. */
  lastAssistantText: string;
  /** The last turn end seen; a run succeeds only if this is `completed`. */
  turnEnd: Extract<AgentEvent, { type: 'turn.completed' }> | null;
}

/**
 * Turns one stdout line (without its newline) into normalized events. Throwing means "this line
 * is not something I understand": the driver emits an `agent.bad_output` warning and goes on.
 */
export type AgentLineParser = (
  line: string,
  state: AgentRunState,
  control: AgentProcessControl,
) => AgentEvent[];

/** What an adapter may do to its own process. */
export interface AgentProcessControl {
  readonly pid: number | undefined;
  /** Writes one line (a newline is added) to the agent's stdin; false once stdin is closed. */
  writeLine(line: string): boolean;
  closeStdin(): void;
  /** Signals the agent process itself (not its group), e.g. SIGINT for a graceful stop. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Emits an event outside a parsed line: for adapters whose protocol answers arrive
   * asynchronously (an ACP client resolving a request it sent).
   */
  emit(event: AgentEvent): void;
}

export interface AgentProcessSpec {
  agentId: AgentId;
  /** The program: a path, or a name looked up on the agent's PATH. */
  file: string;
  args: readonly string[];
  cwd: string;
  /** Added to the allowlisted environment (see buildAgentEnv); never the runner's own secrets. */
  env?: Readonly<Record<string, string>>;
  stdin: 'pipe' | 'ignore';
  /** Lines written to stdin right after the start (stdin `pipe` only). */
  initialInput?: readonly string[];
  /** Called once the process has started (e.g. to open a JSON-RPC session over its stdio). */
  onSpawn?: (control: AgentProcessControl) => void;
  parseLine: AgentLineParser;
  /** The session id when the adapter chooses it up front (known even if the agent dies at once). */
  sessionId?: string;
  /** The graceful part of `interrupt`; defaults to SIGINT to the agent process. */
  requestInterrupt?: (control: AgentProcessControl) => void;
  /** Delivers a person's answer to an approval or a question. */
  respond?: (requestId: string, answer: InteractionAnswer, control: AgentProcessControl) => void;
  /** Called for each event after the driver has applied it (e.g. close stdin after a turn end). */
  onEvent?: (event: AgentEvent, control: AgentProcessControl) => void;
}

export interface AgentProcessOptions {
  /** SIGTERM -> SIGKILL delay when stopping (DESIGN section 10: 5 s). */
  termGraceMs?: number;
  /** Overall limit; the run fails with `agent.timeout` (retryable) when it is reached. */
  timeoutMs?: number;
  /** Consecutive unparsable lines before the run fails with `agent.bad_output`. */
  maxConsecutiveBadLines?: number;
  /** How long to wait for stdout/stderr to drain after the agent exited. */
  drainMs?: number;
  /** Events kept for the first subscriber if it comes late (see createEventChannel). */
  earlyEventLimit?: number;
  /** The runner's environment the allowlist picks from (tests pass their own). */
  parentEnv?: NodeJS.ProcessEnv;
}
