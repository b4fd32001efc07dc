import type { AgentEvent } from '@coord/runner-core';
import { commandApprovalSchema, fileChangeApprovalSchema, userInputRequestSchema } from './codex-messages.js';
import { changesSummary, clip, parseStrict, warnOnce, type ParsedLine } from './codex-line-support.js';
import { requestKey, type CodexSession } from './codex-session.js';
import { errorLine, methodNotFound, resultLine, type RpcId } from './json-rpc.js';
import type { McpServerElicitationRequestResponse } from './protocol/v2/McpServerElicitationRequestResponse.js';
import type { PermissionsRequestApprovalResponse } from './protocol/v2/PermissionsRequestApprovalResponse.js';

// Requests the app-server sends us: approvals and questions for people; the rest declined or refused.

function approvalEvents(session: CodexSession, method: string, id: RpcId, params: unknown): AgentEvent[] {
  const cwd = session.launch.cwd;
  if (method === 'item/commandExecution/requestApproval') {
    const request = parseStrict(commandApprovalSchema, params, method);
    const key = requestKey(request.turnId, id);
    session.pending.set(key, { kind: 'command', rpcId: id, params: request });
    const command = request.command ?? '(a command)';
    const where = request.cwd && request.cwd !== cwd ? ` (in ${request.cwd})` : '';
    const why = request.reason ? ` (${request.reason})` : '';
    return [
      {
        type: 'approval.requested',
        requestId: key,
        toolCallId: request.itemId,
        toolName: 'exec_command',
        kind: 'shell',
        summary: clip(`exec_command: ${command}${where}${why}`, 10_000),
        input: {
          command,
          cwd: request.cwd ?? cwd,
          reason: request.reason ?? 'Codex asks before running commands it does not know to be safe',
        },
      },
    ];
  }
  const request = parseStrict(fileChangeApprovalSchema, params, method);
  const key = requestKey(request.turnId, id);
  session.pending.set(key, { kind: 'fileChange', rpcId: id, params: request });
  const changes = session.fileChanges.get(request.itemId) ?? [];
  const why = request.reason ? ` (${request.reason})` : '';
  return [
    {
      type: 'approval.requested',
      requestId: key,
      toolCallId: request.itemId,
      toolName: 'apply_patch',
      kind: 'edit',
      summary: clip(`apply_patch: ${changesSummary(cwd, changes)}${why}`, 10_000),
      input: {
        changes,
        cwd,
        reason: request.reason ?? 'Codex asks before editing files',
        ...(request.grantRoot ? { grantRoot: request.grantRoot } : {}),
      },
    },
  ];
}

export function onServerRequest(
  session: CodexSession,
  id: RpcId,
  method: string,
  params: unknown,
): ParsedLine {
  switch (method) {
    case 'item/commandExecution/requestApproval':
    case 'item/fileChange/requestApproval':
      return { events: approvalEvents(session, method, id, params), replies: [] };
    case 'item/tool/requestUserInput': {
      const request = parseStrict(userInputRequestSchema, params, method);
      const key = requestKey(request.turnId, id);
      session.pending.set(key, { kind: 'question', rpcId: id, params: request });
      return {
        events: [
          {
            type: 'question.requested',
            requestId: key,
            questions: request.questions.slice(0, 10).map((q) => ({
              id: q.id,
              text: q.header && !q.question.startsWith(q.header) ? `${q.header}: ${q.question}` : q.question,
              options: (q.options ?? []).slice(0, 20).map((o) => ({
                label: o.label,
                ...(o.description ? { description: o.description } : {}),
              })),
              multiSelect: false,
              allowFreeText: q.isOther || (q.options ?? []).length === 0,
              ...(q.isSecret ? { secret: true } : {}),
            })),
          },
        ],
        replies: [],
      };
    }
    case 'item/permissions/requestApproval':
      // Wider sandbox permissions are not something this runner grants mid-turn: none granted.
      return {
        events: warnOnce(
          session,
          `request:${method}`,
          'Codex asked for wider permissions; none were granted.',
        ),
        replies: [
          resultLine(id, { permissions: {}, scope: 'turn' } satisfies PermissionsRequestApprovalResponse),
        ],
      };
    case 'mcpServer/elicitation/request':
      return {
        events: warnOnce(
          session,
          `request:${method}`,
          'An MCP server asked for input; this runner declined.',
        ),
        replies: [
          resultLine(id, {
            action: 'decline',
            content: null,
            _meta: null,
          } satisfies McpServerElicitationRequestResponse),
        ],
      };
    default:
      // Dynamic tools, ChatGPT token refresh, legacy v1 approvals, newer requests: refused, so
      // Codex never waits for an answer that will not come.
      return {
        events: warnOnce(
          session,
          `request:${method}`,
          `Codex sent a "${method.slice(0, 80)}" request this runner does not support; it was refused.`,
        ),
        replies: [errorLine(id, methodNotFound, `unsupported by this client: ${method}`)],
      };
  }
}
