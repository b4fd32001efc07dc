import { maskSecretAnswers, type InteractionAnswer, type InteractionRequest } from '@coord/runner-protocol';
import type { AgentEvent } from '../agents/agent-event.js';
import type { AnswerOutcome } from '../client/coord-client.js';
import type { JobEventDraft, ResolvedBy } from '../events/runner-event.js';
import {
  decidePermission,
  stricterMode,
  type PermissionMode,
  type PermissionSettings,
} from '../policy/permission-policy.js';
import { redactJson } from '../redact.js';
import { registerSecretAnswers } from './secret-answers.js';
import type { EventSpool } from '../store/event-spool.js';
import type { Clock } from './ports.js';

export interface InteractionsOptions {
  clock: Clock;
  /** Unanswered requests fall back to deny (a timeout answer) after this long. */
  timeoutMs: number;
  /** The runner's permission settings and what the policy needs to judge a tool call. */
  policy: {
    settings: PermissionSettings;
    /** The job's own mode: the stricter of it and the runner's wins. */
    jobMode: PermissionMode | undefined;
    home: string;
    protectedPaths: readonly string[];
    workDir(): string;
  };
  /** Shows a request to people through the server. */
  put(interactionId: string, request: InteractionRequest): Promise<unknown>;
  /** Answers on the server from this runner; the first answer wins (a person's may have come first). */
  answer(interactionId: string, answer: InteractionAnswer): Promise<AnswerOutcome>;
  /** Gives an answer to the agent. */
  respond(requestId: string, answer: InteractionAnswer): void;
  emit(event: JobEventDraft): void;
  /** The first request is waiting for an answer / the last one was answered. */
  onWaiting(): void;
  onAllAnswered(): void;
  reportError(error: unknown): void;
}

/** One attempt's questions and tool approvals, between its agent, the permission policy and people. */
export interface Interactions {
  /** An `approval.requested`, `question.requested` or `request.withdrawn` from the agent; others are ignored. */
  onAgentEvent(event: AgentEvent): void;
  has(interactionId: string): boolean;
  /** An answer arrived (from the server, or this runner's own); false if the request is not pending. */
  resolve(interactionId: string, answer: InteractionAnswer, by: ResolvedBy): boolean;
  /** Answers from this runner's own UI: the server decides which answer won, and that one is applied. */
  answer(interactionId: string, answer: InteractionAnswer): Promise<AnswerOutcome>;
  /**
   * The agent that asked is gone (its try ended): what it asked is closed as withdrawn, on the
   * server too, so nobody answers a question no one waits for.
   */
  withdrawAll(): void;
  /**
   * Shows every waiting request to people again (idempotent: the runner's own ids), for those the
   * server could not take when asked (the runner was signed out).
   */
  republish(): void;
  /**
   * A restarted runner took the attempt up again: what the dead run's agent asked and nobody
   * answered (`interactionIds`, from its spool) is closed as withdrawn; the resumed agent asks again.
   */
  withdrawLeft(interactionIds: readonly string[]): void;
  /** The attempt ended: no more timeouts. */
  close(): void;
}

/**
 * The interactions an attempt's spooled events opened and never resolved: what its agent was
 * waiting on when the runner was killed. Read in pages, so a long log is not held at once.
 */
export function unresolvedInteractions(
  spool: Pick<EventSpool, 'read' | 'lastSeq'>,
  attemptId: string,
): string[] {
  const open = new Set<string>();
  const last = spool.lastSeq(attemptId);
  for (let after = 0; after < last;) {
    const page = spool.read(attemptId, after, 500);
    if (page.length === 0) break;
    for (const event of page) {
      const id = (event.data as { interactionId?: unknown }).interactionId;
      if (typeof id !== 'string') continue;
      if (event.type === 'interaction.requested') open.add(id);
      else if (event.type === 'interaction.resolved') open.delete(id);
    }
    after = page.at(-1)!.seq;
  }
  return [...open];
}

const WITHDRAWN: InteractionAnswer = Object.freeze({ kind: 'withdrawn' });

export function createInteractions(options: InteractionsOptions): Interactions {
  const { clock, policy } = options;
  const pending = new Map<string, { requestId: string; request: InteractionRequest; timer: unknown }>();

  function open(requestId: string, raw: InteractionRequest): void {
    // The server shows it to people: the agent's tool input may hold a secret.
    const request = redactJson(raw);
    const interactionId = `int-${globalThis.crypto.randomUUID()}`;
    const timer = clock.setTimeout(
      () => void answer(interactionId, { kind: 'timeout' }).catch(options.reportError),
      options.timeoutMs,
    );
    pending.set(interactionId, { requestId, request, timer });
    options.emit({ type: 'interaction.requested', interactionId, request });
    options.onWaiting();
    options.put(interactionId, request).catch(options.reportError);
  }

  function resolve(interactionId: string, answer: InteractionAnswer, by: ResolvedBy): boolean {
    const request = pending.get(interactionId);
    if (!request) return false;
    pending.delete(interactionId);
    clock.clearTimeout(request.timer);
    // Only the agent gets a secret answer; its event says that it was answered, never with what.
    registerSecretAnswers(request.request, answer);
    options.respond(request.requestId, answer);
    options.emit({
      type: 'interaction.resolved',
      interactionId,
      answer: maskSecretAnswers(request.request, answer),
      by,
    });
    if (pending.size === 0) options.onAllAnswered();
    return true;
  }

  async function answer(interactionId: string, given: InteractionAnswer): Promise<AnswerOutcome> {
    // The server learns that it was answered here; a secret answer itself stays on this machine.
    const request = pending.get(interactionId)?.request;
    if (request) registerSecretAnswers(request, given);
    const outcome = await options.answer(interactionId, request ? maskSecretAnswers(request, given) : given);
    // Closed without an answer (timed out, withdrawn): nobody answered it, and the event says so.
    const closed = given.kind === 'timeout' || given.kind === 'withdrawn';
    resolve(
      interactionId,
      outcome.won ? given : outcome.answer,
      closed && outcome.won ? given.kind : outcome.by,
    );
    return outcome;
  }

  function decideApproval(event: Extract<AgentEvent, { type: 'approval.requested' }>): void {
    const workDir = policy.workDir();
    const mode = stricterMode(policy.settings.mode ?? 'ask', policy.jobMode);
    const { decision, reason } = decidePermission(
      { ...policy.settings, mode },
      {
        toolName: event.toolName,
        kind: event.kind,
        input: event.input,
        workDir,
        home: policy.home,
        protectedPaths: policy.protectedPaths,
      },
    );
    options.emit({
      type: 'approval.decided',
      requestId: event.requestId,
      toolName: event.toolName,
      decision,
      reason,
      by: 'policy',
    });
    if (decision === 'ask') {
      open(event.requestId, {
        kind: 'approval',
        toolName: event.toolName,
        summary: event.summary,
        input: event.input,
        reason,
        workDir,
      });
    } else {
      options.respond(
        event.requestId,
        decision === 'allow'
          ? { kind: 'approval', decision: 'allow_once' }
          : { kind: 'approval', decision: 'deny', message: reason },
      );
    }
  }

  return {
    onAgentEvent(event) {
      if (event.type === 'approval.requested') decideApproval(event);
      else if (event.type === 'question.requested')
        open(event.requestId, { kind: 'question', questions: event.questions });
      else if (event.type === 'request.withdrawn') {
        // Nobody needs to answer any more: close it, so the web app stops asking.
        for (const [interactionId, request] of pending) {
          if (request.requestId === event.requestId)
            void answer(interactionId, WITHDRAWN).catch(options.reportError);
        }
      }
    },
    has: (interactionId) => pending.has(interactionId),
    withdrawAll() {
      if (pending.size === 0) return;
      for (const [interactionId, request] of pending) {
        clock.clearTimeout(request.timer);
        options.emit({ type: 'interaction.resolved', interactionId, answer: WITHDRAWN, by: 'withdrawn' });
        options.answer(interactionId, WITHDRAWN).catch(options.reportError);
      }
      pending.clear();
      options.onAllAnswered();
    },
    withdrawLeft(interactionIds) {
      for (const interactionId of interactionIds) {
        options.emit({ type: 'interaction.resolved', interactionId, answer: WITHDRAWN, by: 'withdrawn' });
        options.answer(interactionId, WITHDRAWN).catch(options.reportError);
      }
    },
    resolve,
    answer,
    republish() {
      for (const [interactionId, { request }] of pending)
        options.put(interactionId, request).catch(options.reportError);
    },
    close() {
      for (const request of pending.values()) clock.clearTimeout(request.timer);
    },
  };
}
