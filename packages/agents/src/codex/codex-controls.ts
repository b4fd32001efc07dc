import type { InteractionAnswer } from '@coord/runner-protocol';
import { textInput } from './codex-messages.js';
import { interruptLine, type CodexSession, type PendingRequest } from './codex-session.js';
import { resultLine } from './json-rpc.js';
import type { CommandExecutionApprovalDecision } from './protocol/v2/CommandExecutionApprovalDecision.js';
import type { ToolRequestUserInputResponse } from './protocol/v2/ToolRequestUserInputResponse.js';
import type { TurnSteerParams } from './protocol/v2/TurnSteerParams.js';

/** FileChangeApprovalDecision is the string subset of this. */
type Decision = CommandExecutionApprovalDecision;

/** What Codex offers for a command approval: `availableDecisions`, or the usual set if absent. */
function offered(pending: PendingRequest): Decision[] {
  if (pending.kind === 'command' && pending.params.availableDecisions)
    return pending.params.availableDecisions as Decision[];
  return ['accept', 'acceptForSession', 'decline', 'cancel'];
}

/**
 * "Allow for this session": `acceptForSession` where Codex offers it; otherwise (0.171 offers
 * only an exec-policy amendment for commands under `untrusted`) the amendment Codex proposed,
 * which allows commands with the same prefix from then on, in this job's CODEX_HOME only.
 */
function sessionDecision(pending: PendingRequest): Decision {
  const options = offered(pending);
  if (options.includes('acceptForSession')) return 'acceptForSession';
  const amendment = options.find((d) => typeof d === 'object' && 'acceptWithExecpolicyAmendment' in d);
  return amendment ?? 'accept';
}

function steerLine(session: CodexSession, text: string): string | null {
  if (!session.threadId || !session.turnId) return null;
  return session.rpc.request(
    'turn/steer',
    {
      threadId: session.threadId,
      input: textInput(text),
      expectedTurnId: session.turnId,
    } satisfies TurnSteerParams,
    'turn/steer',
  );
}

const stopLines = (session: CodexSession): string[] => {
  const line = interruptLine(session);
  return line ? [line] : [];
};

/**
 * The lines that deliver a person's answer to a pending server request.
 *
 * Approvals: allow once -> `accept`; allow for the session -> see sessionDecision; deny ->
 * `decline`; deny and stop -> `cancel` (Codex declines and ends the turn) plus `turn/interrupt`;
 * nobody answered in time -> the same as deny and stop, so an unanswered request never becomes
 * an ask-deny loop. Codex's decisions carry no note: a denial's note goes just before it as
 * `turn/steer` input to the running turn, which the model reads with the declined call's result.
 *
 * Questions: the answers by question id; no answer (a timeout, a deny) sends empty answers, and
 * a timeout or "deny and stop" also interrupts the turn.
 */
export function answerLines(
  session: CodexSession,
  pending: PendingRequest,
  answer: InteractionAnswer,
): { lines: string[]; denied: boolean } {
  if (pending.kind === 'question') {
    if (answer.kind === 'question') {
      const answers: Record<string, { answers: string[] }> = {};
      for (const q of pending.params.questions) {
        const given = (answer.answers[q.id] ?? answer.answers[q.question] ?? [])
          .map((v) => v.trim())
          .filter(Boolean);
        if (given.length > 0) answers[q.id] = { answers: given };
      }
      return {
        lines: [resultLine(pending.rpcId, { answers } satisfies ToolRequestUserInputResponse)],
        denied: false,
      };
    }
    const stop =
      answer.kind === 'timeout' ||
      (answer.kind === 'approval' && answer.decision === 'deny' && answer.stop === true);
    return {
      lines: [resultLine(pending.rpcId, { answers: {} }), ...(stop ? stopLines(session) : [])],
      denied: true,
    };
  }

  const reply = (decision: Decision): string => resultLine(pending.rpcId, { decision });
  if (answer.kind === 'timeout') return { lines: [reply('cancel'), ...stopLines(session)], denied: true };
  if (answer.kind !== 'approval') return { lines: [reply('decline')], denied: true };
  switch (answer.decision) {
    case 'allow_once':
      return { lines: [reply('accept')], denied: false };
    case 'allow_session':
      return { lines: [reply(sessionDecision(pending))], denied: false };
    default: {
      if (answer.stop === true) return { lines: [reply('cancel'), ...stopLines(session)], denied: true };
      const note = answer.message?.trim();
      const steer = note
        ? steerLine(
            session,
            `The person reviewing this run denied that ${pending.kind === 'command' ? 'command' : 'file change'}: ${note}`,
          )
        : null;
      // The note first: steered input waits in the turn and goes out with the model's next request.
      // Sent after the decline, it raced that request (Codex continues at once) and could miss it.
      return { lines: [...(steer ? [steer] : []), reply('decline')], denied: true };
    }
  }
}

/**
 * A person's answer to the request the runner knows as `requestId`: the lines to write, or none
 * when Codex withdrew the request (or it was answered already).
 */
export function respondTo(session: CodexSession, requestId: string, answer: InteractionAnswer): string[] {
  const pending = session.pending.get(requestId);
  if (!pending) return [];
  session.pending.delete(requestId);
  const { lines, denied } = answerLines(session, pending, answer);
  // Codex reports a cancelled call as failed: it was a person's denial.
  if (denied && pending.kind !== 'question') session.declined.add(pending.params.itemId);
  return lines;
}
