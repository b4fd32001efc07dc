/**
 * The normalized agent output every adapter produces (research/agent-protocols.md section 5.2).
 * Plain JSON: it is spooled, uploaded and sent over IPC unchanged.
 */
export type ToolKind = 'shell' | 'edit' | 'read' | 'search' | 'web' | 'mcp' | 'question' | 'plan' | 'other';

export type AgentEvent =
  | { type: 'session.started'; sessionId: string; model?: string; resumed: boolean; demo?: boolean }
  | { type: 'message.delta'; channel: 'text' | 'reasoning'; text: string }
  | { type: 'message.completed'; role: 'assistant' | 'user'; text: string }
  | { type: 'tool.started'; toolCallId: string; name: string; kind: ToolKind; input: unknown; title?: string }
  | { type: 'tool.output'; toolCallId: string; stream: 'stdout' | 'stderr'; chunk: string }
  | {
      type: 'tool.completed';
      toolCallId: string;
      status: 'ok' | 'error' | 'denied' | 'cancelled';
      output?: string;
      exitCode?: number;
    }
  | {
      type: 'approval.requested';
      requestId: string;
      toolCallId?: string;
      toolName: string;
      kind: ToolKind;
      summary: string;
      input: unknown;
    }
  | {
      type: 'question.requested';
      requestId: string;
      questions: Array<{
        id: string;
        text: string;
        options: Array<{ label: string; description?: string }>;
        multiSelect: boolean;
        allowFreeText: boolean;
      }>;
    }
  /** The agent no longer waits for an answer to this request (it was interrupted, or decided itself). */
  | { type: 'request.withdrawn'; requestId: string }
  | {
      type: 'usage';
      inputTokens: number;
      outputTokens: number;
      cachedInputTokens?: number;
      costUsd?: number;
      cumulative: boolean;
    }
  | { type: 'warning'; message: string }
  | { type: 'stderr'; line: string }
  | {
      type: 'turn.completed';
      status: 'completed' | 'interrupted' | 'failed' | 'max_turns';
      finalText?: string;
      error?: string;
    }
  | { type: 'process.exited'; code: number | null; signal: string | null; sawTurnEnd: boolean };

export type AgentEventType = AgentEvent['type'];
