import type { InteractionAnswer } from '@coord/runner-protocol';
import { controlSuccessLine, type PermissionResult, type PermissionUpdate } from './claude-messages.js';
import type { PendingRequest } from './claude-parser.js';

const deniedByPerson = 'The person reviewing this run denied this tool call.';
const timedOut =
  'Nobody answered in time, so this was denied. Continue without it, or explain what you need.';
const notAnswered =
  'The person did not answer the question. Continue without the answer, or stop and explain.';

/**
 * "Allow for this session": the CLI's own rule suggestions (a command prefix, a directory), kept
 * in memory for this process only (`destination: session`), never written to settings files.
 * Without a suggestion, the tool itself is allowed for the session.
 */
function sessionRules(pending: PendingRequest): PermissionUpdate[] {
  const rules: PermissionUpdate['rules'] = [];
  for (const suggestion of pending.request.permission_suggestions ?? []) {
    if (suggestion.type !== 'addRules' || suggestion.behavior !== 'allow' || !Array.isArray(suggestion.rules))
      continue;
    for (const rule of suggestion.rules as Array<{ toolName?: unknown; ruleContent?: unknown }>) {
      if (typeof rule.toolName !== 'string') continue;
      rules.push({
        toolName: rule.toolName,
        ...(typeof rule.ruleContent === 'string' ? { ruleContent: rule.ruleContent } : {}),
      });
    }
  }
  if (rules.length === 0) rules.push({ toolName: pending.request.tool_name });
  return [{ type: 'addRules', rules, behavior: 'allow', destination: 'session' }];
}

function deny(message: string, stop = false): PermissionResult {
  return { behavior: 'deny', message, ...(stop ? { interrupt: true } : {}) };
}

/** Answers to AskUserQuestion, keyed by question text; several choices are comma-joined (CLI >= 2.1.136). */
function questionAnswers(
  pending: Extract<PendingRequest, { kind: 'question' }>,
  answers: Record<string, string[]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  pending.questions.forEach((question, index) => {
    const given = answers[`q${index + 1}`] ?? answers[question.question];
    const values = (given ?? []).map((v) => v.trim()).filter(Boolean);
    if (values.length > 0) out[question.question] = values.join(', ');
  });
  return out;
}

function permissionResult(pending: PendingRequest, answer: InteractionAnswer): PermissionResult {
  if (answer.kind === 'timeout') return deny(pending.kind === 'question' ? notAnswered : timedOut);
  // Only sent for a request the CLI withdrew: a denial it will not wait for.
  if (answer.kind === 'withdrawn') return deny(notAnswered);
  if (pending.kind === 'question') {
    if (answer.kind !== 'question') {
      // An approval-style answer to a question: "allow" without answers is no answer either.
      return answer.decision === 'deny'
        ? deny(answer.message ?? notAnswered, answer.stop === true)
        : deny(notAnswered);
    }
    const answers = questionAnswers(pending, answer.answers);
    if (Object.keys(answers).length === 0) return deny(notAnswered);
    return { behavior: 'allow', updatedInput: { ...pending.request.input, answers } };
  }
  if (answer.kind !== 'approval') return deny(deniedByPerson);
  switch (answer.decision) {
    case 'allow_once':
      return { behavior: 'allow', updatedInput: pending.request.input };
    case 'allow_session':
      return {
        behavior: 'allow',
        updatedInput: pending.request.input,
        updatedPermissions: sessionRules(pending),
      };
    default:
      return deny(
        answer.message?.trim() ? `Denied: ${answer.message.trim()}` : deniedByPerson,
        answer.stop === true,
      );
  }
}

/** The control_response line for a person's answer to a pending `can_use_tool` request. */
export function answerLine(
  requestId: string,
  pending: PendingRequest,
  answer: InteractionAnswer,
): {
  line: string;
  denied: boolean;
} {
  const result = permissionResult(pending, answer);
  return { line: controlSuccessLine(requestId, result), denied: result.behavior === 'deny' };
}
