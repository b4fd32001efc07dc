import { redactSecrets, type AgentEvent, type AgentResult, type ErrorPayload } from '@coord/runner-core';
import type { AgentRunState } from './types.js';

export function initialRunState(sessionId: string | null = null): AgentRunState {
  return { sessionId, usage: null, lastAssistantText: '', turnEnd: null };
}

/** Folds one normalized event into what the run knows so far. */
export function applyEvent(state: AgentRunState, event: AgentEvent): void {
  switch (event.type) {
    case 'session.started':
      state.sessionId = event.sessionId;
      break;
    case 'message.completed':
      if (event.role === 'assistant') state.lastAssistantText = event.text;
      break;
    case 'usage': {
      const { inputTokens, outputTokens, cachedInputTokens, costUsd } = event;
      const prev = state.usage;
      state.usage =
        event.cumulative || !prev
          ? {
              inputTokens,
              outputTokens,
              ...(cachedInputTokens === undefined ? {} : { cachedInputTokens }),
              ...(costUsd === undefined ? {} : { costUsd }),
            }
          : {
              inputTokens: prev.inputTokens + inputTokens,
              outputTokens: prev.outputTokens + outputTokens,
              ...(prev.cachedInputTokens === undefined && cachedInputTokens === undefined
                ? {}
                : { cachedInputTokens: (prev.cachedInputTokens ?? 0) + (cachedInputTokens ?? 0) }),
              ...(prev.costUsd === undefined && costUsd === undefined
                ? {}
                : { costUsd: (prev.costUsd ?? 0) + (costUsd ?? 0) }),
            };
      break;
    }
    case 'turn.completed':
      state.turnEnd = event;
      break;
    default:
      break;
  }
}

/** How the process ended, as far as the driver knows. */
export type RunEnd =
  | { kind: 'not_found'; file: string; resolved?: string }
  | { kind: 'spawn_failed'; message: string; retryable: boolean }
  | {
      kind: 'exited';
      code: number | null;
      signal: string | null;
      /** interrupt() or kill() was called. */
      stopRequested: boolean;
      timedOut: boolean;
      /** Set when the run was stopped for too many unparsable lines. */
      badOutput: string | null;
      stderrTail: string;
    };

/**
 * The result of a run. Success needs a turn end that says so: exit codes lie (an interrupted
 * Claude exits 0, a clean `is_error` turn exits 1), so they only describe crashes.
 */
export function buildResult(agentId: string, state: AgentRunState, end: RunEnd): AgentResult {
  const base = {
    sessionId: state.sessionId,
    usage: state.usage,
    summary: state.turnEnd?.finalText ?? state.lastAssistantText,
  };
  const failed = (error: ErrorPayload): AgentResult => ({ ...base, status: 'failed', error });

  if (end.kind === 'not_found') {
    const message = end.resolved
      ? `The ${agentId} agent's program "${end.resolved}" could not be started: it or its interpreter was not found (ENOENT).`
      : `The ${agentId} agent's program "${end.file}" was not found on PATH or is not executable.`;
    return failed({ code: 'agent.not_found', message, retryable: false, details: { file: end.file } });
  }
  if (end.kind === 'spawn_failed') {
    return failed({
      code: 'agent.spawn_failed',
      message: redactSecrets(end.message),
      retryable: end.retryable,
    });
  }

  const turnEnd = state.turnEnd;
  if (turnEnd?.status === 'completed') return { ...base, status: 'completed', error: null };
  if (turnEnd?.status === 'interrupted') return { ...base, status: 'interrupted', error: null };
  const tail = redactSecrets(end.stderrTail.trim());
  const details = { exitCode: end.code, signal: end.signal, ...(tail ? { stderrTail: tail } : {}) };
  if (turnEnd) {
    const reason =
      turnEnd.status === 'max_turns'
        ? 'it reached its maximum number of turns'
        : (turnEnd.error ?? 'no reason given');
    return failed({
      code: 'agent.failed',
      message: redactSecrets(`The ${agentId} agent failed: ${reason}`),
      retryable: false,
      details,
    });
  }
  if (end.timedOut) {
    return failed({
      code: 'agent.timeout',
      message: `The ${agentId} agent did not finish in time and was stopped.`,
      retryable: true,
      details,
    });
  }
  if (end.badOutput) {
    return failed({
      code: 'agent.bad_output',
      message: redactSecrets(end.badOutput),
      retryable: false,
      details,
    });
  }
  if (end.stopRequested) return { ...base, status: 'interrupted', error: null };
  const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code ?? 'unknown'}`;
  return failed({
    code: 'agent.crashed',
    message: `The ${agentId} agent ${how} without finishing its turn.${tail ? ` Last stderr: ${tail}` : ''}`,
    retryable: true,
    details,
  });
}
