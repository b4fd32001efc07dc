import type { AgentEvent } from '@coord/runner-core';
import {
  clientInfo,
  deltaSchema,
  errorNotificationSchema,
  itemNotificationSchema,
  requestResolvedSchema,
  textInput,
  threadItemSchema,
  threadResponseSchema,
  tokenUsageSchema,
  turnCompletedSchema,
  turnResponseSchema,
  warningSchema,
  type CodexThreadItem,
} from './codex-messages.js';
import { changesSummary, clip, parseStrict, warnOnce, type ParsedLine } from './codex-line-support.js';
import { onServerRequest } from './codex-requests.js';
import { requestKey, type CodexSession, type RequestPurpose } from './codex-session.js';
import type { InitializeParams } from './protocol/InitializeParams.js';
import type { ThreadResumeParams } from './protocol/v2/ThreadResumeParams.js';
import type { ThreadStartParams } from './protocol/v2/ThreadStartParams.js';
import type { TurnInterruptParams } from './protocol/v2/TurnInterruptParams.js';
import type { TurnStartParams } from './protocol/v2/TurnStartParams.js';
import { notificationLine, parseRpcLine, type RpcMessage } from './json-rpc.js';

export type { ParsedLine } from './codex-line-support.js';

/**
 * Notifications that carry nothing a person or the runner needs (status flags, rate limits, the
 * turn's aggregated diff, echoes of the user's own message...). Anything else unknown gets one
 * warning and is ignored: a newer CLI adds notifications all the time.
 */
const ignoredNotifications = new Set([
  'thread/started',
  'thread/status/changed',
  'thread/name/updated',
  'thread/settings/updated',
  'thread/compacted',
  'turn/started',
  'turn/diff/updated',
  'turn/plan/updated',
  'item/plan/delta',
  'item/reasoning/summaryPartAdded',
  'item/reasoning/textDelta',
  'item/fileChange/outputDelta',
  'item/fileChange/patchUpdated',
  'item/commandExecution/terminalInteraction',
  'item/mcpToolCall/progress',
  'account/rateLimits/updated',
  'account/updated',
  'remoteControl/status/changed',
  'mcpServer/startupStatus/updated',
  'skills/changed',
  'rawResponseItem/completed',
  'rawResponse/completed',
  'model/rerouted',
  'model/verification',
  'hook/started',
  'hook/completed',
  'deprecationNotice',
]);

/** The lines that open a run: the handshake, then the thread (answered below). */
export function openingLines(session: CodexSession): string[] {
  const { launch } = session;
  const threadParams = {
    cwd: launch.cwd,
    // `untrusted`: anything but known-safe reads asks first, and the sandbox keeps writes inside
    // the work directory; a person's "allow for this session" widens that through Codex itself.
    approvalPolicy: 'untrusted',
    sandbox: 'workspace-write',
    ...(launch.model ? { model: launch.model } : {}),
  } satisfies ThreadStartParams;
  return [
    session.rpc.request(
      'initialize',
      { clientInfo, capabilities: null } satisfies InitializeParams,
      'initialize',
    ),
    notificationLine('initialized'),
    launch.resumeThreadId
      ? session.rpc.request(
          'thread/resume',
          { threadId: launch.resumeThreadId, ...threadParams } satisfies ThreadResumeParams,
          'thread/resume',
        )
      : session.rpc.request('thread/start', threadParams, 'thread/start'),
  ];
}

function toolStatus(
  session: CodexSession,
  id: string,
  status: string,
): 'ok' | 'error' | 'denied' | 'cancelled' {
  if (status === 'declined' || session.declined.has(id)) return 'denied';
  if (status === 'completed') return 'ok';
  return session.interruptSent ? 'cancelled' : 'error';
}

function onItemStarted(session: CodexSession, item: CodexThreadItem): AgentEvent[] {
  switch (item.type) {
    case 'commandExecution':
      return [
        {
          type: 'tool.started',
          toolCallId: item.id,
          name: 'exec_command',
          kind: 'shell',
          input: { command: item.command, ...(item.cwd ? { cwd: item.cwd } : {}) },
        },
      ];
    case 'fileChange':
      session.fileChanges.set(item.id, item.changes);
      return [
        {
          type: 'tool.started',
          toolCallId: item.id,
          name: 'apply_patch',
          kind: 'edit',
          input: { changes: item.changes },
          title: changesSummary(session.launch.cwd, item.changes),
        },
      ];
    case 'mcpToolCall':
      return [
        {
          type: 'tool.started',
          toolCallId: item.id,
          name: `mcp__${item.server}__${item.tool}`,
          kind: 'mcp',
          input: item.arguments,
        },
      ];
    default:
      return [];
  }
}

function onItemCompleted(session: CodexSession, item: CodexThreadItem): AgentEvent[] {
  switch (item.type) {
    case 'agentMessage':
      return item.text.trim() ? [{ type: 'message.completed', role: 'assistant', text: item.text }] : [];
    case 'commandExecution': {
      const output = item.aggregatedOutput ?? '';
      return [
        {
          type: 'tool.completed',
          toolCallId: item.id,
          status: toolStatus(session, item.id, item.status),
          ...(output ? { output: clip(output) } : {}),
          ...(typeof item.exitCode === 'number' ? { exitCode: item.exitCode } : {}),
        },
      ];
    }
    case 'fileChange':
      session.fileChanges.delete(item.id);
      return [
        { type: 'tool.completed', toolCallId: item.id, status: toolStatus(session, item.id, item.status) },
      ];
    case 'mcpToolCall':
      return [
        {
          type: 'tool.completed',
          toolCallId: item.id,
          status: toolStatus(session, item.id, item.status),
          ...(item.error ? { output: clip(item.error.message) } : {}),
        },
      ];
    default:
      return [];
  }
}

function onItem(session: CodexSession, params: unknown, started: boolean): AgentEvent[] {
  const { item: raw } = parseStrict(
    itemNotificationSchema,
    params,
    started ? 'item/started' : 'item/completed',
  );
  const parsed = threadItemSchema.safeParse(raw);
  // User messages, plans, web searches, newer item types: nothing to show.
  if (!parsed.success) return [];
  return started ? onItemStarted(session, parsed.data) : onItemCompleted(session, parsed.data);
}

function onTurnCompleted(session: CodexSession, params: unknown): AgentEvent[] {
  const { turn } = parseStrict(turnCompletedSchema, params, 'turn/completed');
  const withdrawn = [...session.pending.keys()].map((requestId): AgentEvent => ({
    type: 'request.withdrawn',
    requestId,
  }));
  session.pending.clear();
  if (turn.status === 'completed') return [...withdrawn, { type: 'turn.completed', status: 'completed' }];
  if (turn.status === 'interrupted') return [...withdrawn, { type: 'turn.completed', status: 'interrupted' }];
  return [
    ...withdrawn,
    {
      type: 'turn.completed',
      status: 'failed',
      error: clip(turn.error?.message ?? `the turn ended ${turn.status}`, 2000),
    },
  ];
}

/**
 * Usage arrives as the thread's running totals: reported as cumulative, once each, and the
 * output tokens already include the reasoning tokens (they are a breakdown, never an addition).
 */
function onTokenUsage(params: unknown): AgentEvent[] {
  const { total } = parseStrict(tokenUsageSchema, params, 'thread/tokenUsage/updated').tokenUsage;
  return [
    {
      type: 'usage',
      inputTokens: total.inputTokens,
      outputTokens: total.outputTokens,
      ...(total.cachedInputTokens > 0 ? { cachedInputTokens: total.cachedInputTokens } : {}),
      cumulative: true,
    },
  ];
}

function onNotification(session: CodexSession, method: string, params: unknown): AgentEvent[] {
  switch (method) {
    case 'item/started':
      return onItem(session, params, true);
    case 'item/completed':
      return onItem(session, params, false);
    case 'item/agentMessage/delta': {
      const { delta } = parseStrict(deltaSchema, params, method);
      return delta ? [{ type: 'message.delta', channel: 'text', text: delta }] : [];
    }
    case 'item/reasoning/summaryTextDelta': {
      const { delta } = parseStrict(deltaSchema, params, method);
      return delta ? [{ type: 'message.delta', channel: 'reasoning', text: delta }] : [];
    }
    case 'item/commandExecution/outputDelta': {
      const { itemId, delta } = parseStrict(deltaSchema, params, method);
      return delta ? [{ type: 'tool.output', toolCallId: itemId, stream: 'stdout', chunk: clip(delta) }] : [];
    }
    case 'thread/tokenUsage/updated':
      return onTokenUsage(params);
    case 'turn/completed':
      return onTurnCompleted(session, params);
    case 'serverRequest/resolved': {
      const { requestId } = parseStrict(requestResolvedSchema, params, method);
      // Resolved without our answer (an interrupt, a turn that ended): the runner closes it.
      const key = session.turnId ? requestKey(session.turnId, requestId) : null;
      const match = [...session.pending].find(([k, p]) => k === key || p.rpcId === requestId);
      if (!match) return [];
      session.pending.delete(match[0]);
      return [{ type: 'request.withdrawn', requestId: match[0] }];
    }
    case 'error': {
      const { error, willRetry } = parseStrict(errorNotificationSchema, params, method);
      return [
        { type: 'warning', message: clip(`Codex: ${error.message}${willRetry ? ' (retrying)' : ''}`, 2000) },
      ];
    }
    case 'warning':
    case 'configWarning':
    case 'guardianWarning': {
      const { message, summary } = parseStrict(warningSchema, params, method);
      const text = message ?? summary;
      return text ? [{ type: 'warning', message: clip(`Codex: ${text}`, 2000) }] : [];
    }
    default:
      if (ignoredNotifications.has(method)) return [];
      return warnOnce(
        session,
        `notification:${method}`,
        `Codex sent a "${method.slice(0, 80)}" notification this runner does not know; ignored.`,
      );
  }
}

function onResponse(session: CodexSession, purpose: RequestPurpose, result: unknown): ParsedLine {
  switch (purpose) {
    case 'thread/start':
    case 'thread/resume': {
      const response = parseStrict(threadResponseSchema, result, `${purpose} response`);
      session.threadId = response.thread.id;
      // Known as early as possible, so the runner saves it before the turn can crash.
      const started: AgentEvent = {
        type: 'session.started',
        sessionId: response.thread.id,
        ...(response.model ? { model: response.model } : {}),
        resumed: purpose === 'thread/resume',
      };
      if (session.interruptWanted) return { events: [started], replies: [] };
      session.turnRequested = true;
      const turn = session.rpc.request(
        'turn/start',
        { threadId: response.thread.id, input: textInput(session.launch.prompt) } satisfies TurnStartParams,
        'turn/start',
      );
      return { events: [started], replies: [turn] };
    }
    case 'turn/start': {
      const response = parseStrict(turnResponseSchema, result, 'turn/start response');
      session.turnId = response.turn.id;
      // An interrupt asked for before the turn existed goes out now.
      if (session.interruptWanted && !session.interruptSent && session.threadId) {
        session.interruptSent = true;
        return {
          events: [],
          replies: [
            session.rpc.request(
              'turn/interrupt',
              { threadId: session.threadId, turnId: response.turn.id } satisfies TurnInterruptParams,
              'turn/interrupt',
            ),
          ],
        };
      }
      return { events: [], replies: [] };
    }
    default:
      return { events: [], replies: [] };
  }
}

function onError(session: CodexSession, message: Extract<RpcMessage, { kind: 'error' }>): ParsedLine {
  const purpose = session.rpc.settle(message.id);
  const text = clip(message.error.message, 2000);
  switch (purpose) {
    case 'thread/resume':
      session.resumeRejected = true;
      return {
        events: [{ type: 'warning', message: `Codex could not resume the earlier thread: ${text}` }],
        replies: [],
      };
    case 'initialize':
    case 'thread/start':
    case 'turn/start':
      // Nothing will run: the turn ends here, as failed, with Codex's reason.
      return {
        events: [{ type: 'turn.completed', status: 'failed', error: `Codex refused ${purpose}: ${text}` }],
        replies: [],
      };
    default:
      return {
        events: [
          { type: 'warning', message: `Codex answered ${purpose ?? 'a request'} with an error: ${text}` },
        ],
        replies: [],
      };
  }
}

/**
 * Turns one stdout line of `codex app-server` into normalized events, plus the lines to write
 * back (the next request of the handshake, refusals). Pure apart from the session it updates.
 * Throws on a line that is not JSON-RPC or not the shape its method promises (the driver turns
 * that into an `agent.bad_output` warning); unknown methods are ignored with one warning each.
 */
export function parseCodexLine(line: string, session: CodexSession): ParsedLine {
  const message = parseRpcLine(line);
  switch (message.kind) {
    case 'notification':
      return { events: onNotification(session, message.method, message.params), replies: [] };
    case 'request':
      return onServerRequest(session, message.id, message.method, message.params);
    case 'error':
      return onError(session, message);
    case 'response': {
      const purpose = session.rpc.settle(message.id);
      return purpose ? onResponse(session, purpose, message.result) : { events: [], replies: [] };
    }
  }
}
