import { secretQuestionIds, type InteractionAnswer, type InteractionRequest } from '@coord/runner-protocol';
import { registerSecret } from '../redact.js';

/** Registers each secret answer for redaction: the agent may repeat it in what it prints. */
export function registerSecretAnswers(request: InteractionRequest, answer: InteractionAnswer): void {
  if (answer.kind !== 'question') return;
  for (const id of secretQuestionIds(request))
    for (const value of answer.answers[id] ?? []) registerSecret(value);
}
