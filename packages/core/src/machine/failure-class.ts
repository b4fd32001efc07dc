import type { ErrorPayload } from '../errors.js';

/**
 * Transient failures may pass if tried again (an agent crash, timeout or stall, the network, a
 * 5xx, a rate limit); permanent ones never will (an invalid job, a refused token, a missing agent,
 * a policy denial) and fail at once with their message (DESIGN.md section 5).
 */
export type FailureClass = 'transient' | 'permanent';

const transientCodes = new Set(['agent.crashed', 'agent.timeout', 'agent.stalled', 'api.network']);
const permanentCodes = new Set([
  'job.invalid_payload',
  'job.unsupported_context',
  'job.cancelled',
  'auth.invalid_token',
  'api.unsupported_version',
  'agent.not_found',
  'agent.spawn_failed',
  'agent.budget_exceeded',
  'agent.bad_output',
  'git.secret_detected',
  'artifact.secret_detected',
]);

export function classifyFailure(error: ErrorPayload): FailureClass {
  if (transientCodes.has(error.code)) return 'transient';
  if (permanentCodes.has(error.code)) return 'permanent';
  // 5xx, 429 and network failures are marked retryable where they are caught.
  return error.retryable ? 'transient' : 'permanent';
}

/**
 * A failure of the agent itself that the same runner retries in place (same attempt, work
 * directory and agent session): only this machine holds the session.
 */
export function isRetryableInPlace(error: ErrorPayload | null): boolean {
  return error !== null && error.code.startsWith('agent.') && classifyFailure(error) === 'transient';
}
