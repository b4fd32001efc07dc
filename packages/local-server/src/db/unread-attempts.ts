import { requeueOrFail } from './jobs.js';
import { forgetSecretAnswers } from './secret-answers.js';
import type { Store } from './store.js';

/**
 * Gives back an attempt its runner never began (no event came): stopped, not counted against the
 * job's retries, the job Ready again for anyone. Runs in the caller's transaction; true when the
 * job is Ready again (the caller wakes the parked claims after its commit).
 */
export function releaseUnreadAttempt(
  store: Store,
  attempt: { id: string; jobId: string },
  why: string,
  now = Date.now(),
): boolean {
  const error = JSON.stringify({ code: 'runner.stopped', message: why, retryable: true });
  store
    .sql("UPDATE attempts SET status = 'stopped', ended_at = ?, error = ? WHERE id = ?")
    .run(now, error, attempt.id);
  forgetSecretAnswers(store, attempt.id);
  return requeueOrFail(store, attempt.jobId, now, false) === 'ready';
}
