import type { InteractionAnswer, InteractionRequest } from '@coord/runner-protocol';
import { registerSecret } from '../redact.js';

/** What events, logs and the server are given in place of a secret answer. */
export const SECRET_ANSWER = '[secret]';

function secretQuestionIds(request: InteractionRequest): Set<string> {
  if (request.kind !== 'question') return new Set();
  return new Set(request.questions.filter((q) => q.secret === true).map((q) => q.id));
}

/**
 * The answer as anything but the agent may see it: each secret question's values replaced by
 * SECRET_ANSWER (a short secret is below what redaction can match, so it is never shown at all).
 */
export function maskSecretAnswers(request: InteractionRequest, answer: InteractionAnswer): InteractionAnswer {
  const secret = secretQuestionIds(request);
  if (answer.kind !== 'question' || secret.size === 0) return answer;
  const answers = Object.fromEntries(
    Object.entries(answer.answers).map(([id, values]) => [
      id,
      secret.has(id) ? values.map(() => SECRET_ANSWER) : values,
    ]),
  );
  return { ...answer, answers };
}

/** Registers each secret answer for redaction: the agent may repeat it in what it prints. */
export function registerSecretAnswers(request: InteractionRequest, answer: InteractionAnswer): void {
  if (answer.kind !== 'question') return;
  for (const id of secretQuestionIds(request))
    for (const value of answer.answers[id] ?? []) registerSecret(value);
}
