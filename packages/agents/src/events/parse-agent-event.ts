import type { AgentEvent } from '@coord/runner-core';

type Check = (v: Record<string, unknown>) => boolean;

const str = (v: unknown): boolean => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const optNum = (v: unknown): boolean => v === undefined || num(v);
const bool = (v: unknown): boolean => typeof v === 'boolean';
const oneOf =
  (...values: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'string' && values.includes(v);
const toolKind = oneOf('shell', 'edit', 'read', 'search', 'web', 'mcp', 'question', 'plan', 'other');

const isQuestion = (q: unknown): boolean => {
  if (typeof q !== 'object' || q === null) return false;
  const r = q as Record<string, unknown>;
  return (
    str(r.id) &&
    str(r.text) &&
    bool(r.multiSelect) &&
    bool(r.allowFreeText) &&
    Array.isArray(r.options) &&
    r.options.every((o) => typeof o === 'object' && o !== null && str((o as Record<string, unknown>).label))
  );
};

// `process.exited` is the driver's own event: an agent printing one is bad output.
const checks: Record<Exclude<AgentEvent['type'], 'process.exited'>, Check> = {
  'session.started': (e) =>
    str(e.sessionId) && bool(e.resumed) && optStr(e.model) && (e.demo === undefined || bool(e.demo)),
  'message.delta': (e) => oneOf('text', 'reasoning')(e.channel) && str(e.text),
  'message.completed': (e) => oneOf('assistant', 'user')(e.role) && str(e.text),
  'tool.started': (e) =>
    str(e.toolCallId) && str(e.name) && toolKind(e.kind) && 'input' in e && optStr(e.title),
  'tool.output': (e) => str(e.toolCallId) && oneOf('stdout', 'stderr')(e.stream) && str(e.chunk),
  'tool.completed': (e) =>
    str(e.toolCallId) &&
    oneOf('ok', 'error', 'denied', 'cancelled')(e.status) &&
    optStr(e.output) &&
    optNum(e.exitCode),
  'approval.requested': (e) =>
    str(e.requestId) && str(e.toolName) && toolKind(e.kind) && str(e.summary) && optStr(e.toolCallId),
  'question.requested': (e) =>
    str(e.requestId) && Array.isArray(e.questions) && e.questions.every(isQuestion),
  'request.withdrawn': (e) => str(e.requestId),
  usage: (e) =>
    num(e.inputTokens) &&
    num(e.outputTokens) &&
    optNum(e.cachedInputTokens) &&
    optNum(e.costUsd) &&
    bool(e.cumulative),
  warning: (e) => str(e.message),
  stderr: (e) => str(e.line),
  'turn.completed': (e) =>
    oneOf('completed', 'interrupted', 'failed', 'max_turns')(e.status) &&
    optStr(e.finalText) &&
    optStr(e.error),
};

/** Validates one value against the AgentEvent union (shape only; unknown extra fields pass). */
export function isAgentEvent(value: unknown): value is AgentEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const check = typeof record.type === 'string' ? checks[record.type as keyof typeof checks] : undefined;
  return check !== undefined && Object.hasOwn(checks, record.type as string) && check(record);
}

/**
 * A line parser for agents whose wire format is the AgentEvent union itself (the demo agent, test
 * fixtures). Throws on anything else, which the driver turns into an `agent.bad_output` warning.
 */
export function parseAgentEventLine(line: string): AgentEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not JSON');
  }
  if (!isAgentEvent(value)) throw new Error('not an agent event');
  return [value];
}
