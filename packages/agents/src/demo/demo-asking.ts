import type { AgentEvent, ToolKind } from '@coord/runner-core';
import type { InteractionAnswer } from '@coord/runner-protocol';

type ApprovalRequest = Omit<Extract<AgentEvent, { type: 'approval.requested' }>, 'type' | 'requestId'>;
type QuestionRequest = Omit<Extract<AgentEvent, { type: 'question.requested' }>, 'type' | 'requestId'>;

/** How the demo agent reaches a person: the answer, or null when a stop came first. */
export interface Asker {
  approve(request: ApprovalRequest): Promise<InteractionAnswer | null>;
  question(request: QuestionRequest): Promise<InteractionAnswer | null>;
}

export type Verdict = { allowed: true } | { allowed: false; note: string | null; stop: boolean };

/**
 * Asks for approval of one tool call, as a real agent's permission prompt would. "Allow for this
 * session" is remembered per tool for the rest of the plan. A timeout denies and stops the turn
 * (never an endless ask-deny loop); so does a stop request while waiting.
 */
export function createApprovals(asker: Asker): {
  decide(
    tool: 'write' | 'run',
    kind: ToolKind,
    toolCallId: string,
    summary: string,
    input: unknown,
  ): Promise<Verdict>;
} {
  const allowedForSession = new Set<string>();
  return {
    async decide(tool, kind, toolCallId, summary, input) {
      if (allowedForSession.has(tool)) return { allowed: true };
      const answer = await asker.approve({ toolCallId, toolName: tool, kind, summary, input });
      if (answer === null) return { allowed: false, note: 'a stop was requested', stop: true };
      if (answer.kind !== 'approval') {
        return {
          allowed: false,
          note: answer.kind === 'timeout' ? 'nobody answered in time' : null,
          stop: true,
        };
      }
      if (answer.decision === 'allow_session') allowedForSession.add(tool);
      if (answer.decision !== 'deny') return { allowed: true };
      return { allowed: false, note: answer.message ?? null, stop: answer.stop === true };
    },
  };
}

/** `{{answer:<id>}}` in a text becomes the answer given to the `ask` step with that id. */
export function fillAnswers(text: string, answers: ReadonlyMap<string, string>): string {
  return text.replace(
    /\{\{answer:([A-Za-z0-9_-]{1,64})\}\}/g,
    (whole, id: string) => answers.get(id) ?? whole,
  );
}
