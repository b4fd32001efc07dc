import { maskSecretAnswers, type InteractionAnswer, type InteractionRequest } from '@coord/runner-protocol';
import type { Store } from './store.js';

/**
 * Once an attempt is over, the secret answers people gave it on the web are replaced by the mask
 * in its interaction records. Until then the server must keep them: it relays an answer with
 * every lease renewal (a lost response loses nothing), and the runner keeps it from everything but
 * the agent. A runner's own answers reach the server masked already. Runs in the transaction that
 * ends the attempt.
 */
export function forgetSecretAnswers(store: Store, attemptId: string): void {
  const answered = store
    .sql(
      "SELECT id, request, answer FROM interactions WHERE attempt_id = ? AND answered_by = 'web' AND answer IS NOT NULL",
    )
    .all(attemptId) as { id: string; request: string; answer: string }[];
  const update = store.sql('UPDATE interactions SET answer = ? WHERE id = ?');
  for (const row of answered) {
    const answer = JSON.parse(row.answer) as InteractionAnswer;
    const masked = maskSecretAnswers(JSON.parse(row.request) as InteractionRequest, answer);
    if (masked !== answer) update.run(JSON.stringify(masked), row.id);
  }
}
