import type { AgentEvent, ToolKind } from '@coord/runner-core';
import type { z } from 'zod';
import {
  askUserQuestionInputSchema,
  assistantMessageSchema,
  canUseToolSchema,
  controlCancelSchema,
  controlErrorLine,
  controlRequestSchema,
  controlResponseSchema,
  resultSchema,
  systemInitSchema,
  userMessageSchema,
  type AskUserQuestionInput,
  type CanUseToolRequest,
  type ClaudeResult,
} from './claude-messages.js';
import { readStreamDelta, type StreamDelta } from './claude-deltas.js';

/** A `can_use_tool` request waiting for a person, with what its answer needs. */
export type PendingRequest =
  | { kind: 'approval'; request: CanUseToolRequest }
  | { kind: 'question'; request: CanUseToolRequest; questions: AskUserQuestionInput['questions'] };

/** What the Claude adapter remembers across lines of one process. */
export interface ClaudeSession {
  /** Started with --resume: a rejection then means "fall back to a fresh session". */
  readonly resuming: boolean;
  initSeen: boolean;
  pending: Map<string, PendingRequest>;
  /** Tool calls a person denied, so their error result reads as `denied`. */
  denied: Set<string>;
  /** Set once the adapter has asked for an interrupt: an aborted turn is then `interrupted`. */
  interruptSent: boolean;
  /** The CLI did not know the session to resume. */
  resumeRejected: boolean;
  /** Message types and control subtypes already warned about (one warning each, not one per line). */
  warned: Set<string>;
  /**
   * Thinking came as partial messages (`--include-partial-messages`): the assistant line's
   * thinking block then repeats what was shown, and is not sent again.
   */
  streamedThinking: boolean;
}

export function createClaudeSession(resuming: boolean): ClaudeSession {
  return {
    resuming,
    initSeen: false,
    pending: new Map(),
    denied: new Set(),
    interruptSent: false,
    resumeRejected: false,
    warned: new Set(),
    streamedThinking: false,
  };
}

export interface ParsedLine {
  events: AgentEvent[];
  /** Lines to write back to the CLI's stdin (answers to control requests we do not support). */
  replies: string[];
}

const maxToolOutput = 64 * 1024;
/** Lines the CLI prints that carry nothing a person or the runner needs. */
const ignoredTypes = new Set(['keep_alive', 'rate_limit_event', 'tool_progress']);

export function toolKind(name: string): ToolKind {
  if (name.startsWith('mcp__')) return 'mcp';
  switch (name) {
    case 'Bash':
    case 'BashOutput':
    case 'KillShell':
    case 'Monitor':
      return 'shell';
    case 'Edit':
    case 'MultiEdit':
    case 'Write':
    case 'NotebookEdit':
      return 'edit';
    case 'Read':
      return 'read';
    case 'Grep':
    case 'Glob':
    case 'LS':
      return 'search';
    case 'WebFetch':
    case 'WebSearch':
      return 'web';
    case 'AskUserQuestion':
      return 'question';
    case 'TodoWrite':
    case 'EnterPlanMode':
    case 'ExitPlanMode':
      return 'plan';
    default:
      return 'other';
  }
}

const stringField = (input: Record<string, unknown>, key: string): string | undefined =>
  typeof input[key] === 'string' ? input[key] : undefined;

/** One line a person can judge: the command, the file, or the tool with its input. */
export function approvalSummary(request: CanUseToolRequest): string {
  const { tool_name: tool, input } = request;
  const target =
    stringField(input, 'command') ??
    stringField(input, 'file_path') ??
    stringField(input, 'notebook_path') ??
    stringField(input, 'url') ??
    stringField(input, 'pattern');
  const what = target ?? request.title ?? request.description ?? JSON.stringify(input);
  const why = request.decision_reason ? ` (${request.decision_reason})` : '';
  return `${tool}: ${what}${why}`.slice(0, 10_000);
}

function parseStrict<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `unexpected ${what} line (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return parsed.data;
}

function warnOnce(session: ClaudeSession, key: string, message: string): AgentEvent[] {
  if (session.warned.has(key)) return [];
  session.warned.add(key);
  return [{ type: 'warning', message }];
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : ''))
      .join('');
  return '';
}

function usageEvent(result: ClaudeResult): AgentEvent | null {
  const models = Object.values(result.modelUsage ?? {});
  // modelUsage counts every model the turn used (subagents, side calls); `usage` only the main loop.
  const totals =
    models.length > 0
      ? models.reduce(
          (sum, m) => ({
            input: sum.input + m.inputTokens,
            output: sum.output + m.outputTokens,
            cached: sum.cached + (m.cacheReadInputTokens ?? 0),
          }),
          { input: 0, output: 0, cached: 0 },
        )
      : result.usage
        ? {
            input: result.usage.input_tokens,
            output: result.usage.output_tokens,
            cached: result.usage.cache_read_input_tokens ?? 0,
          }
        : null;
  if (!totals && result.total_cost_usd === undefined) return null;
  return {
    type: 'usage',
    inputTokens: Math.round(totals?.input ?? 0),
    outputTokens: Math.round(totals?.output ?? 0),
    ...(totals && totals.cached > 0 ? { cachedInputTokens: Math.round(totals.cached) } : {}),
    ...(result.total_cost_usd === undefined ? {} : { costUsd: result.total_cost_usd }),
    // One turn per process: the result's figures are the run's totals so far.
    cumulative: true,
  };
}

/** The CLI could not find the session we asked it to resume (unknown id, other cwd, lost transcript). */
function isResumeRejection(session: ClaudeSession, result: ClaudeResult): boolean {
  if (!session.resuming || session.initSeen || result.is_error !== true) return false;
  return (result.errors ?? []).some((e) => /no conversation found/i.test(e)) || result.num_turns === 0;
}

function turnEnd(session: ClaudeSession, result: ClaudeResult): AgentEvent {
  const errors = (result.errors ?? []).filter((e) => !e.startsWith('[ede_diagnostic]'));
  const finalText = result.result ?? undefined;
  if (result.subtype === 'success' && result.is_error !== true)
    return { type: 'turn.completed', status: 'completed', ...(finalText ? { finalText } : {}) };
  if (result.subtype === 'success')
    // API errors (a 400, an auth failure) arrive as a "success" that is an error.
    return {
      type: 'turn.completed',
      status: 'failed',
      error: finalText ?? 'the model API returned an error',
    };
  if (result.subtype === 'error_max_turns') return { type: 'turn.completed', status: 'max_turns' };
  if (
    result.subtype === 'error_during_execution' &&
    (session.interruptSent || (result.terminal_reason ?? '').startsWith('aborted'))
  )
    return { type: 'turn.completed', status: 'interrupted' };
  const reason =
    result.subtype === 'error_max_budget_usd'
      ? 'it reached its budget'
      : errors.join('; ') || `its turn ended with ${result.subtype}`;
  return { type: 'turn.completed', status: 'failed', error: reason.slice(0, 2000) };
}

function onResult(session: ClaudeSession, value: unknown): AgentEvent[] {
  const result = parseStrict(resultSchema, value, 'result');
  if (isResumeRejection(session, result)) {
    session.resumeRejected = true;
    return [
      {
        type: 'warning',
        message: 'Claude Code could not resume the earlier session (it has no record of it).',
      },
    ];
  }
  const usage = usageEvent(result);
  return [...(usage ? [usage] : []), turnEnd(session, result)];
}

/** The parts of a `stream_event` line (a raw Messages-API stream event) this adapter reads. */
interface StreamEventLine {
  event?: { type?: unknown; delta?: { type?: unknown; text?: unknown; thinking?: unknown } };
  parent_tool_use_id?: unknown;
}

/**
 * A partial message (`--include-partial-messages`): text and thinking deltas are shown as they
 * stream; everything else in the stream (block starts and stops, tool input JSON, usage so far)
 * comes again whole in the assistant line that follows, so it is not repeated. Checked by hand,
 * not with zod: these are most of the lines of a chatty turn.
 */
function onStreamEvent(session: ClaudeSession, line: StreamEventLine): AgentEvent[] {
  const event = line.event;
  if (event?.type !== 'content_block_delta' || !event.delta) return [];
  const { delta } = event;
  const parent = line.parent_tool_use_id;
  const parentToolUseId = parent === null || parent === undefined ? null : String(parent);
  if (delta.type === 'text_delta' && typeof delta.text === 'string')
    return onDelta(session, { channel: 'text', text: delta.text, parentToolUseId });
  if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string')
    return onDelta(session, { channel: 'reasoning', text: delta.thinking, parentToolUseId });
  return [];
}

function onDelta(session: ClaudeSession, delta: StreamDelta): AgentEvent[] {
  if (delta.channel === 'text') {
    // As with whole messages: a subagent's words are not the agent's answer.
    if (delta.parentToolUseId !== null || delta.text === '') return [];
    return [{ type: 'message.delta', channel: 'text', text: delta.text }];
  }
  session.streamedThinking = true;
  return delta.text === '' ? [] : [{ type: 'message.delta', channel: 'reasoning', text: delta.text }];
}

function onAssistant(session: ClaudeSession, value: unknown): AgentEvent[] {
  const message = parseStrict(assistantMessageSchema, value, 'assistant');
  const subagent = message.parent_tool_use_id != null;
  const events: AgentEvent[] = [];
  for (const block of message.message.content) {
    if (block.type === 'text' && 'text' in block) {
      // A subagent's words are not the agent's answer (they would become the job's summary).
      if (block.text.trim() && !subagent)
        events.push({ type: 'message.completed', role: 'assistant', text: block.text });
    } else if (block.type === 'thinking' && 'thinking' in block) {
      if (block.thinking.trim() && !session.streamedThinking)
        events.push({ type: 'message.delta', channel: 'reasoning', text: block.thinking });
    } else if (block.type === 'tool_use' && 'id' in block) {
      const description =
        block.input && typeof block.input === 'object' && 'description' in block.input
          ? (block.input as { description?: unknown }).description
          : undefined;
      events.push({
        type: 'tool.started',
        toolCallId: block.id,
        name: block.name,
        kind: toolKind(block.name),
        input: block.input,
        ...(typeof description === 'string' ? { title: description } : {}),
      });
    }
  }
  return events;
}

function onUser(session: ClaudeSession, value: unknown): AgentEvent[] {
  const message = parseStrict(userMessageSchema, value, 'user');
  if (typeof message.message.content === 'string') return [];
  const events: AgentEvent[] = [];
  for (const block of message.message.content) {
    if (block.type !== 'tool_result' || !('tool_use_id' in block)) continue;
    const output = toolResultText(block.content);
    const status = session.denied.has(block.tool_use_id)
      ? 'denied'
      : block.is_error === true
        ? session.interruptSent
          ? 'cancelled'
          : 'error'
        : 'ok';
    events.push({
      type: 'tool.completed',
      toolCallId: block.tool_use_id,
      status,
      ...(output
        ? { output: output.length > maxToolOutput ? `${output.slice(0, maxToolOutput)}…` : output }
        : {}),
    });
  }
  return events;
}

function onCanUseTool(session: ClaudeSession, requestId: string, value: unknown): AgentEvent[] {
  const request = parseStrict(canUseToolSchema, value, 'can_use_tool');
  if (request.tool_name === 'AskUserQuestion') {
    const asked = askUserQuestionInputSchema.safeParse(request.input);
    if (asked.success) {
      const questions = asked.data.questions;
      session.pending.set(requestId, { kind: 'question', request, questions });
      return [
        {
          type: 'question.requested',
          requestId,
          questions: questions.slice(0, 10).map((q, index) => ({
            id: `q${index + 1}`,
            text: q.question,
            options: q.options.slice(0, 20).map((o) => ({
              label: o.label,
              ...(o.description ? { description: o.description } : {}),
            })),
            multiSelect: q.multiSelect,
            // Claude Code's question tool always takes a typed answer besides the options ("Other").
            allowFreeText: true,
          })),
        },
      ];
    }
    // A question we cannot show is still a tool call a person can allow or deny.
  }
  session.pending.set(requestId, { kind: 'approval', request });
  return [
    {
      type: 'approval.requested',
      requestId,
      ...(request.tool_use_id ? { toolCallId: request.tool_use_id } : {}),
      toolName: request.tool_name,
      kind: toolKind(request.tool_name),
      summary: approvalSummary(request),
      input: request.input,
    },
  ];
}

/** `system/api_retry`: the CLI is about to retry a model API call (2.1.332 retries up to 10 times). */
interface ApiRetry {
  attempt?: number;
  max_retries?: number;
  retry_delay_ms?: number;
  error_status?: number | null;
  error?: string;
}

/**
 * A refused sign-in is retried by the CLI for minutes (a 401 as well as a 529): the turn ends at
 * once with what to configure instead. Other retries are a warning, so a person sees why it waits.
 */
function onApiRetry(retry: ApiRetry): AgentEvent[] {
  const status = retry.error_status ?? null;
  if (status === 401 || status === 403 || retry.error === 'authentication_failed') {
    return [
      {
        type: 'turn.completed',
        status: 'failed',
        error: `the model API refused Claude Code's credentials (HTTP ${status ?? 'error'}): set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN, or the Bedrock/Vertex settings) for the runner, or sign in by running \`claude\` and /login as the runner's user`,
      },
    ];
  }
  const seconds = Math.round((retry.retry_delay_ms ?? 0) / 1000);
  return [
    {
      type: 'warning',
      message: `The model API answered ${status ?? retry.error ?? 'with an error'}; Claude Code retries in ${seconds} s (attempt ${retry.attempt ?? '?'} of ${retry.max_retries ?? '?'}).`,
    },
  ];
}

/**
 * Turns one stdout line of `claude -p --output-format stream-json` into normalized events. Pure
 * apart from the session it updates. Throws on a line that is not JSON or not the shape its type
 * promises (the driver turns that into an `agent.bad_output` warning); unknown types and subtypes
 * from a newer CLI are ignored with one warning each.
 */
export function parseClaudeLine(line: string, session: ClaudeSession): ParsedLine {
  const delta = readStreamDelta(line);
  if (delta) return { events: onDelta(session, delta), replies: [] };
  const value: unknown = JSON.parse(line);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  const type = (value as { type?: unknown }).type;
  const events = (list: AgentEvent[]): ParsedLine => ({ events: list, replies: [] });

  switch (type) {
    case 'system': {
      const subtype = (value as { subtype?: unknown }).subtype;
      if (subtype === 'api_retry') return events(onApiRetry(value as ApiRetry));
      if (subtype !== 'init') return events([]);
      const init = parseStrict(systemInitSchema, value, 'system init');
      // Every turn repeats init; the session starts once.
      if (session.initSeen) return events([]);
      session.initSeen = true;
      return events([
        {
          type: 'session.started',
          sessionId: init.session_id,
          ...(init.model ? { model: init.model } : {}),
          resumed: session.resuming,
        },
      ]);
    }
    case 'stream_event':
      return events(onStreamEvent(session, value as StreamEventLine));
    case 'assistant':
      return events(onAssistant(session, value));
    case 'user':
      return events(onUser(session, value));
    case 'result':
      return events(onResult(session, value));
    case 'control_request': {
      const request = parseStrict(controlRequestSchema, value, 'control_request');
      if (request.request.subtype === 'can_use_tool')
        return events(onCanUseTool(session, request.request_id, request.request));
      // Hooks, in-process MCP servers, elicitations...: not offered by this adapter, so the
      // CLI gets an error answer rather than waiting for one forever.
      return {
        events: warnOnce(
          session,
          `control:${request.request.subtype}`,
          `Claude Code sent a "${request.request.subtype}" request this runner does not support; it was refused.`,
        ),
        replies: [
          controlErrorLine(request.request_id, `unsupported control request: ${request.request.subtype}`),
        ],
      };
    }
    case 'control_cancel_request': {
      const cancel = parseStrict(controlCancelSchema, value, 'control_cancel_request');
      // The CLI withdrew its question (an interrupt, a hook decided): the runner closes the
      // interaction, and a late answer is dropped.
      const known = session.pending.delete(cancel.request_id);
      return events(known ? [{ type: 'request.withdrawn', requestId: cancel.request_id }] : []);
    }
    case 'control_response': {
      const response = parseStrict(controlResponseSchema, value, 'control_response');
      return events(
        response.response.subtype === 'error'
          ? [
              {
                type: 'warning',
                message: `Claude Code refused a request: ${response.response.error ?? 'no reason'}`,
              },
            ]
          : [],
      );
    }
    default: {
      if (typeof type === 'string' && ignoredTypes.has(type)) return events([]);
      const name = typeof type === 'string' ? type.slice(0, 60) : 'untyped';
      return events(
        warnOnce(
          session,
          `type:${name}`,
          `Claude Code printed a "${name}" message this runner does not know; ignored.`,
        ),
      );
    }
  }
}
