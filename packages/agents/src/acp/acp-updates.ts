import type { AgentEvent, ToolKind } from '@coord/runner-core';
import type {
  PromptResponse,
  SessionNotification,
  StopReason,
  ToolCallContent,
  ToolCallUpdate,
  ToolKind as AcpToolKind,
} from '@agentclientprotocol/sdk';

/** What the client keeps about a turn while `session/update` notifications arrive. */
export interface AcpTurnState {
  /** The agent's text so far this turn (agent_message_chunk), for message.completed. */
  text: string;
  /** Tool calls already announced with tool.started. */
  started: Set<string>;
  /** Tool calls a person denied, so their failure reads `denied`, not `error`. */
  denied: Set<string>;
  /** Tool calls already reported with tool.completed. */
  completed: Set<string>;
  /** History replayed by session/load (user or agent chunks). */
  replayed: number;
  /** Set while session/load replays history: replayed chunks are not this turn's output. */
  replaying: boolean;
}

export function createAcpTurnState(): AcpTurnState {
  return {
    text: '',
    started: new Set(),
    denied: new Set(),
    completed: new Set(),
    replayed: 0,
    replaying: false,
  };
}

const kinds: Record<AcpToolKind, ToolKind> = {
  read: 'read',
  edit: 'edit',
  delete: 'edit',
  move: 'edit',
  search: 'search',
  execute: 'shell',
  think: 'other',
  fetch: 'web',
  switch_mode: 'plan',
  other: 'other',
};

export function toolKind(kind: AcpToolKind | null | undefined): ToolKind {
  return (kind && kinds[kind]) ?? 'other';
}

/**
 * A tool's name. ACP has only a display title; Gemini's tool call ids start with the tool's own
 * name (`run_shell_command__run_shell_command_1796…_0`, seen on 0.61), which is what a person
 * and a policy know it by.
 */
export function toolName(call: Pick<ToolCallUpdate, 'toolCallId' | 'kind' | 'name'>): string {
  if (typeof call.name === 'string' && call.name) return call.name;
  const prefix = call.toolCallId.split('__')[0];
  if (prefix && prefix !== call.toolCallId && /^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) return prefix;
  return call.kind ?? 'tool';
}

/** What a tool call carries for a person to judge it: its raw input, a file edit's diff, its text. */
export function toolInput(call: ToolCallUpdate, cwd?: string): Record<string, unknown> {
  const diffs = (call.content ?? [])
    .filter((c): c is Extract<ToolCallContent, { type: 'diff' }> => c.type === 'diff')
    .map((d) => ({ path: d.path, oldText: d.oldText ?? null, newText: d.newText }));
  const raw =
    call.rawInput && typeof call.rawInput === 'object' ? (call.rawInput as Record<string, unknown>) : {};
  // Gemini 0.61 sends no rawInput with a permission request: a shell call's title is its command.
  const command =
    call.kind === 'execute' && typeof raw.command !== 'string' && call.title ? { command: call.title } : {};
  return {
    ...raw,
    ...command,
    ...(call.title ? { title: call.title } : {}),
    ...(diffs.length > 0 ? { diffs } : {}),
    ...(call.locations?.length ? { locations: call.locations.map((l) => l.path) } : {}),
    ...(cwd ? { cwd } : {}),
  };
}

function contentText(content: ToolCallContent[] | null | undefined): string {
  return (content ?? [])
    .map((c) => (c.type === 'content' && c.content.type === 'text' ? c.content.text : ''))
    .filter(Boolean)
    .join('\n');
}

/** tool.started for a call not seen before (a permission request may be the first sign of it). */
export function startTool(call: ToolCallUpdate, turn: AcpTurnState): AgentEvent[] {
  if (turn.started.has(call.toolCallId)) return [];
  turn.started.add(call.toolCallId);
  return [
    {
      type: 'tool.started',
      toolCallId: call.toolCallId,
      name: toolName(call),
      kind: toolKind(call.kind),
      input: toolInput(call),
      ...(call.title ? { title: call.title } : {}),
    },
  ];
}

function updateTool(call: ToolCallUpdate, turn: AcpTurnState): AgentEvent[] {
  const events = startTool(call, turn);
  if ((call.status === 'completed' || call.status === 'failed') && !turn.completed.has(call.toolCallId)) {
    turn.completed.add(call.toolCallId);
    const output = contentText(call.content);
    const status = turn.denied.has(call.toolCallId) ? 'denied' : call.status === 'completed' ? 'ok' : 'error';
    events.push({
      type: 'tool.completed',
      toolCallId: call.toolCallId,
      status,
      ...(output ? { output } : {}),
    });
  }
  return events;
}

/**
 * One `session/update` notification as normalized events. Kinds that say nothing about the work
 * (available commands, modes, config) give none; a kind this client does not know (a newer agent)
 * gives a warning, never a failure.
 */
export function mapSessionUpdate(notification: SessionNotification, turn: AcpTurnState): AgentEvent[] {
  const update = notification.update as SessionNotification['update'] | { sessionUpdate: string };
  switch (update.sessionUpdate) {
    case 'agent_message_chunk':
    case 'user_message_chunk':
    case 'agent_thought_chunk': {
      const chunk = update as Extract<
        SessionNotification['update'],
        { sessionUpdate: 'agent_message_chunk' }
      >;
      const text = chunk.content.type === 'text' ? chunk.content.text : '';
      if (turn.replaying) {
        turn.replayed += 1;
        return [];
      }
      if (!text || update.sessionUpdate === 'user_message_chunk') return [];
      if (update.sessionUpdate === 'agent_thought_chunk')
        return [{ type: 'message.delta', channel: 'reasoning', text }];
      turn.text += text;
      return [{ type: 'message.delta', channel: 'text', text }];
    }
    case 'tool_call':
    case 'tool_call_update':
      if (turn.replaying) {
        turn.replayed += 1;
        return [];
      }
      return updateTool(update as ToolCallUpdate, turn);
    case 'plan': {
      const plan = update as Extract<SessionNotification['update'], { sessionUpdate: 'plan' }>;
      const text = plan.entries.map((e) => `[${e.status}] ${e.content}`).join('\n');
      return text ? [{ type: 'message.delta', channel: 'reasoning', text }] : [];
    }
    case 'available_commands_update':
    case 'current_mode_update':
    case 'config_option_update':
    case 'session_info_update':
    case 'usage_update':
    case 'compaction_update':
    case 'compaction_summary_chunk':
    case 'notice':
      return [];
    default:
      return [
        {
          type: 'warning',
          message: `Ignored an unknown ACP session update "${String(update.sessionUpdate).slice(0, 80)}".`,
        },
      ];
  }
}

/** The session/update kinds of ACP v1 (SDK 2.4) this client maps or knowingly ignores. */
export const knownUpdateKinds: ReadonlySet<string> = new Set([
  'agent_message_chunk',
  'user_message_chunk',
  'agent_thought_chunk',
  'tool_call',
  'tool_call_update',
  'plan',
  'available_commands_update',
  'current_mode_update',
  'config_option_update',
  'session_info_update',
  'usage_update',
  'compaction_update',
  'compaction_summary_chunk',
  'notice',
]);

const statuses: Record<StopReason, 'completed' | 'interrupted' | 'failed' | 'max_turns'> = {
  end_turn: 'completed',
  cancelled: 'interrupted',
  max_tokens: 'max_turns',
  max_turn_requests: 'max_turns',
  refusal: 'failed',
};

/** Token counts in a prompt result: Gemini puts them in `_meta.quota.token_count` (0.61). */
export function promptUsage(response: PromptResponse): AgentEvent | null {
  const meta = response._meta as
    { quota?: { token_count?: { input_tokens?: unknown; output_tokens?: unknown } } } | null | undefined;
  const counts = meta?.quota?.token_count;
  const input = Number(counts?.input_tokens);
  const output = Number(counts?.output_tokens);
  if (!Number.isFinite(input) || !Number.isFinite(output) || input < 0 || output < 0) return null;
  return {
    type: 'usage',
    inputTokens: Math.round(input),
    outputTokens: Math.round(output),
    cumulative: false,
  };
}

/** The end of a turn, from the `session/prompt` result. */
export function turnEnd(response: PromptResponse, turn: AcpTurnState): AgentEvent[] {
  const events: AgentEvent[] = [];
  if (turn.text) events.push({ type: 'message.completed', role: 'assistant', text: turn.text });
  const usage = promptUsage(response);
  if (usage) events.push(usage);
  const status = statuses[response.stopReason] ?? 'failed';
  events.push({
    type: 'turn.completed',
    status,
    ...(turn.text ? { finalText: turn.text } : {}),
    ...(status === 'failed' ? { error: `the agent stopped its turn (${String(response.stopReason)})` } : {}),
  });
  return events;
}
