import { approvalLine, type InteractionAnswer, type InteractionRequest } from '@coord/runner-protocol';
import { terminalSafe } from '../terminal-text.js';

/** The few prompt kinds a question or an approval needs; cancelled through `signal`. */
export interface Prompter {
  select<T extends string>(
    message: string,
    choices: { value: T; name: string; description?: string }[],
    signal: AbortSignal,
  ): Promise<T>;
  checkbox(
    message: string,
    choices: { value: string; name: string }[],
    signal: AbortSignal,
  ): Promise<string[]>;
  input(message: string, signal: AbortSignal): Promise<string>;
  /** Typed text that is not shown (a secret question's answer). */
  password(message: string, signal: AbortSignal): Promise<string>;
}

type ApprovalChoice = 'allow_once' | 'allow_session' | 'deny' | 'deny_note';
const OTHER = '\u0000other';

/** One line a person can judge an approval by: the tool and what it would do. */
export function describeApproval(request: Extract<InteractionRequest, { kind: 'approval' }>): string {
  return terminalSafe(approvalLine(request));
}

/** Why the policy asked, and where the agent works: shown above the approval prompt. */
export function approvalContext(request: Extract<InteractionRequest, { kind: 'approval' }>): string | null {
  const parts = [request.reason, request.workDir ? `in ${request.workDir}` : null].filter(Boolean);
  return parts.length > 0 ? terminalSafe(parts.join(' — ')) : null;
}

/** Asks a person for the answer to one approval or question at the terminal. */
export async function askAnswer(
  prompter: Prompter,
  request: InteractionRequest,
  signal: AbortSignal,
): Promise<InteractionAnswer> {
  if (request.kind === 'approval') {
    const choice = await prompter.select<ApprovalChoice>(
      `Allow ${describeApproval(request)}?`,
      [
        { value: 'allow_once', name: 'Allow once' },
        { value: 'allow_session', name: 'Allow for the rest of this job' },
        { value: 'deny', name: 'Deny' },
        { value: 'deny_note', name: 'Deny, and tell the agent why' },
      ],
      signal,
    );
    if (choice !== 'deny_note') return { kind: 'approval', decision: choice };
    const note = (await prompter.input('Why (the agent reads this)?', signal)).trim();
    return { kind: 'approval', decision: 'deny', ...(note ? { message: note.slice(0, 2000) } : {}) };
  }

  const answers: Record<string, string[]> = {};
  for (const question of request.questions) {
    const text = terminalSafe(question.text);
    const choices = question.options.map((o) => ({
      value: o.label,
      name: terminalSafe(o.label),
      ...(o.description ? { description: terminalSafe(o.description) } : {}),
    }));
    const allowFreeText = question.allowFreeText ?? true;
    const type = (message: string) =>
      question.secret ? prompter.password(message, signal) : prompter.input(message, signal);
    if (choices.length === 0) {
      answers[question.id] = [await type(text)];
      continue;
    }
    if (allowFreeText) choices.push({ value: OTHER, name: 'Something else (type it)' });
    const picked = question.multiSelect
      ? await prompter.checkbox(text, choices, signal)
      : [await prompter.select(text, choices, signal)];
    const chosen = picked.filter((p) => p !== OTHER);
    if (picked.includes(OTHER)) chosen.push(await type(`${text} (your answer)`));
    answers[question.id] = chosen;
  }
  return { kind: 'question', answers };
}
