import { isApiError } from '../client/api-error.js';
import { isCoordError } from '../errors.js';

/**
 * What a failed call about one attempt means for that attempt:
 * - `retry`: transient (network, 5xx, 429): back off and try again.
 * - `signed_out`: the server refuses the runner's token (401): not about the attempt, and not to
 *   be given up on. The runner is signed out until a new token is in place; what it owes (events,
 *   reports) stays in the spool and goes out once signed in again.
 * - `gone`: the attempt is no longer this runner's (lease lost, attempt unknown, forbidden): its
 *   work ends and nothing more is sent for it.
 * - `split`: the server refuses this request as too large or invalid (413, 400, 422): send less,
 *   down to one event, so the refused event can be found and replaced; never the same request again.
 */
export type Refusal = 'retry' | 'signed_out' | 'gone' | 'split';

export function classifyRefusal(error: unknown): Refusal {
  if (isCoordError(error) && (error.code === 'lease.lost' || error.code === 'attempt.refused')) return 'gone';
  if (isSignedOut(error)) return 'signed_out';
  if (!isApiError(error) || error.status < 400 || error.status >= 500) return 'retry';
  const { status } = error;
  if (status === 408 || status === 429) return 'retry';
  if (status === 403 || status === 404 || status === 409 || status === 410) return 'gone';
  return 'split';
}

/** The server refuses the runner's token: expired, revoked, or never valid. */
export function isSignedOut(error: unknown): boolean {
  return (
    (isCoordError(error) && error.code === 'auth.invalid_token') ||
    (isApiError(error) && error.status === 401)
  );
}
