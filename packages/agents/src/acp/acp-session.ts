import { randomUUID } from 'node:crypto';
import {
  client,
  PROTOCOL_VERSION,
  type AnyMessage,
  type ClientConnection,
  type PermissionOption,
  type RequestPermissionResponse,
  type Stream,
} from '@agentclientprotocol/sdk';
import { redactSecrets } from '@coord/runner-core';
import type { InteractionAnswer } from '@coord/runner-protocol';
import type { AgentProcessControl } from '../process/types.js';
import { choosePermission } from './acp-permissions.js';
import {
  createAcpTurnState,
  knownUpdateKinds,
  mapSessionUpdate,
  startTool,
  toolKind,
  toolInput,
  toolName,
  turnEnd,
} from './acp-updates.js';

/** The ACP version this client speaks (research: v2 is a draft that drops session/load). */
export const acpProtocolVersion = 1;

export interface AcpSessionOptions {
  cwd: string;
  /** A session to resume with session/load; null starts a fresh one. */
  resumeSessionId: string | null;
  /** The prompt for a fresh session, and for a resumed one (the task as it stands now). */
  prompt: string;
  /** The prompt when session/load "succeeded" but replayed no history (an unknown session). */
  recapPrompt: string;
  agentName: string;
  /** How long to wait for session/load's history replay, which may come after its response. */
  replayWaitMs?: number;
}

interface PendingPermission {
  resolve(response: RequestPermissionResponse): void;
  options: PermissionOption[];
  toolCallId: string;
}

/**
 * One ACP session over an agent's stdio, for one turn: initialize (protocol v1, no fs/terminal
 * capabilities: the agent uses its own tools), session/new or session/load, session/prompt. The
 * process driver owns the stdio lines (so hostile lines become warnings there); this class feeds
 * the parsed messages to `@agentclientprotocol/sdk` and turns what comes back into events.
 */
export class AcpSession {
  /** session/load failed: the caller falls back to a fresh session with a recap. */
  resumeRejected = false;
  private readonly turn = createAcpTurnState();
  private readonly pending = new Map<string, PendingPermission>();
  private incoming: ReadableStreamDefaultController<AnyMessage> | null = null;
  private connection: ClientConnection | null = null;
  private sessionId: string | null = null;
  private promptSent = false;
  private cancelled = false;
  private control: AgentProcessControl | null = null;

  constructor(private readonly options: AcpSessionOptions) {}

  /** One stdout line: a JSON-RPC message for the SDK. Throws on anything else (a warning upstream). */
  feed(line: string): void {
    const message = JSON.parse(line) as unknown;
    if (!message || typeof message !== 'object' || Array.isArray(message))
      throw new Error('not a JSON-RPC message object');
    // The SDK drops a session/update it cannot validate with only a console error; an update kind
    // from a newer agent becomes a warning here instead.
    const update = (message as { method?: unknown; params?: { update?: { sessionUpdate?: unknown } } }).params
      ?.update?.sessionUpdate;
    if (
      (message as { method?: unknown }).method === 'session/update' &&
      !knownUpdateKinds.has(String(update))
    ) {
      this.control?.emit({
        type: 'warning',
        message: `Ignored an unknown ACP session update "${String(update).slice(0, 80)}" from ${this.options.agentName}.`,
      });
      return;
    }
    this.incoming?.enqueue(message as AnyMessage);
  }

  /** Opens the connection once the process runs, and plays the turn. */
  start(control: AgentProcessControl): void {
    this.control = control;
    const stream: Stream = {
      readable: new ReadableStream<AnyMessage>({ start: (c) => void (this.incoming = c) }),
      writable: new WritableStream<AnyMessage>({
        write: (message) => {
          control.writeLine(JSON.stringify(message));
        },
      }),
    };
    const app = client({ name: 'coord-runner' })
      .onNotification('session/update', ({ params }) => {
        for (const event of mapSessionUpdate(params, this.turn)) control.emit(event);
      })
      .onRequest('session/request_permission', ({ params }) => this.askPermission(params));
    this.connection = app.connect(stream);
    void this.play(control).catch((error: unknown) => this.fail(control, error));
  }

  private async play(control: AgentProcessControl): Promise<void> {
    const agent = this.connection!.agent;
    const init = await agent.request('initialize', {
      protocolVersion: acpProtocolVersion,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: 'coord-runner', version: '0.1.0' },
    });
    if (init.protocolVersion !== acpProtocolVersion) {
      throw new Error(
        `the agent speaks ACP version ${String(init.protocolVersion)}; this runner speaks ${acpProtocolVersion} (SDK ${PROTOCOL_VERSION})`,
      );
    }
    let prompt = this.options.prompt;
    const previous = this.options.resumeSessionId;
    if (previous) {
      if (!init.agentCapabilities?.loadSession) {
        this.rejectResume(
          control,
          `${this.options.agentName} cannot resume sessions (no loadSession capability)`,
        );
        return;
      }
      this.turn.replaying = true;
      try {
        await agent.request('session/load', { sessionId: previous, cwd: this.options.cwd, mcpServers: [] });
      } catch (error) {
        this.rejectResume(control, `session/load failed: ${describe(error)}`);
        return;
      }
      // Replay notifications may arrive after the response (seen on Gemini 0.61).
      await new Promise((resolve) => setTimeout(resolve, this.options.replayWaitMs ?? 300));
      this.turn.replaying = false;
      this.sessionId = previous;
      control.emit({ type: 'session.started', sessionId: previous, resumed: true });
      if (this.turn.replayed === 0) {
        // An agent may "load" a session it does not know: an empty history means a fresh start.
        control.emit({
          type: 'warning',
          message: `${this.options.agentName} loaded session ${previous} without any history; continuing with a recap of the earlier try.`,
        });
        prompt = this.options.recapPrompt;
      }
    } else {
      const created = await agent.request('session/new', { cwd: this.options.cwd, mcpServers: [] });
      this.sessionId = created.sessionId;
      control.emit({ type: 'session.started', sessionId: created.sessionId, resumed: false });
    }
    if (this.cancelled) {
      control.emit({ type: 'turn.completed', status: 'interrupted' });
      return;
    }
    this.promptSent = true;
    const response = await agent.request('session/prompt', {
      sessionId: this.sessionId!,
      prompt: [{ type: 'text', text: prompt }],
    });
    for (const event of turnEnd(response, this.turn)) control.emit(event);
  }

  private rejectResume(control: AgentProcessControl, why: string): void {
    this.resumeRejected = true;
    control.emit({ type: 'warning', message: redactSecrets(why) });
    control.closeStdin();
  }

  private fail(control: AgentProcessControl, error: unknown): void {
    control.emit({
      type: 'turn.completed',
      status: this.cancelled ? 'interrupted' : 'failed',
      ...(this.cancelled ? {} : { error: redactSecrets(`${this.options.agentName}: ${describe(error)}`) }),
    });
  }

  private askPermission(params: {
    toolCall: Parameters<typeof startTool>[0];
    options: PermissionOption[];
  }): Promise<RequestPermissionResponse> {
    if (this.cancelled) return Promise.resolve({ outcome: { outcome: 'cancelled' } });
    const requestId = `acp-${randomUUID()}`;
    const call = params.toolCall;
    for (const event of startTool(call, this.turn)) this.control?.emit(event);
    const name = toolName(call);
    const input = toolInput(call, this.options.cwd);
    const command = typeof input.command === 'string' ? input.command : (call.title ?? '');
    this.control?.emit({
      type: 'approval.requested',
      requestId,
      toolCallId: call.toolCallId,
      toolName: name,
      kind: toolKind(call.kind),
      summary: redactSecrets(`${name}: ${command}`.slice(0, 2000)),
      input: {
        ...input,
        reason: `${this.options.agentName} asks before running this kind of tool in its default approval mode`,
      },
    });
    return new Promise((resolve) =>
      this.pending.set(requestId, { resolve, options: params.options, toolCallId: call.toolCallId }),
    );
  }

  /** A person's answer (or a timeout) to a pending permission request. */
  respond(requestId: string, answer: InteractionAnswer): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    const choice = choosePermission(pending.options, answer);
    pending.resolve(choice.response);
    if (choice.denied) {
      this.turn.denied.add(pending.toolCallId);
      // Gemini 0.61 sends no tool_call_update for a rejected call: the denial is reported here.
      if (!this.turn.completed.has(pending.toolCallId)) {
        this.turn.completed.add(pending.toolCallId);
        this.control?.emit({ type: 'tool.completed', toolCallId: pending.toolCallId, status: 'denied' });
      }
    }
    if (choice.cancelTurn) this.cancel();
  }

  /**
   * session/cancel, and every pending permission answered `cancelled` (the ACP rule: without it
   * the prompt never returns). The prompt then ends with stopReason `cancelled`.
   */
  cancel(): void {
    this.cancelled = true;
    for (const [requestId, pending] of this.pending) {
      this.pending.delete(requestId);
      this.control?.emit({ type: 'request.withdrawn', requestId });
      pending.resolve({ outcome: { outcome: 'cancelled' } });
    }
    if (!this.promptSent || !this.sessionId) {
      this.control?.signal('SIGTERM');
      return;
    }
    void this.connection?.agent
      .notify('session/cancel', { sessionId: this.sessionId })
      .catch(() => undefined);
  }
}

function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; data?: unknown };
    const data = e.data as { details?: unknown } | undefined;
    const details = typeof data?.details === 'string' ? `: ${data.details}` : '';
    return `${String(e.message ?? 'error')}${details}`.slice(0, 1000);
  }
  return String(error).slice(0, 1000);
}
