import { z } from 'zod';

/**
 * Stable dotted error codes. Messages may change; codes are a contract.
 * 4xx answers are never retried by clients; 5xx and network errors are.
 */
export const errorCodes = [
  'request.invalid', // body or query failed validation (details name the field)
  'request.not_found',
  'request.too_large', // the body is over the route's byte limit (413; the server closes the connection)
  'request.unsupported_media_type', // a body that is not the route's content type (415)
  'request.forbidden_origin', // an Origin header naming another site (403)
  'request.misdirected', // a Host header that is not one of the server's own names (421)
  'protocol.unsupported_version',
  'auth.missing_token',
  'auth.invalid_token',
  'auth.forbidden',
  'runner.not_found',
  'job.not_found',
  'job.invalid_state',
  'attempt.not_found',
  'lease.lost',
  'interaction.not_found',
  'interaction.already_answered',
  'interaction.conflict',
  'events.gap',
  'artifact.too_large',
  'artifact.checksum_mismatch', // the bytes that arrived do not hash to the Coord-Content-Sha256 sent with them
  'device.authorization_pending', // a device sign-in nobody has approved yet: poll again
  'device.slow_down', // polled too often: wait 5 s longer between polls
  'device.denied', // the person said no
  'device.expired', // the code ran out: start again
  'device.invalid_code', // no such device or user code (or it was used)
  'forge.repo_not_found',
  'forge.repo_exists',
  'forge.pull_exists',
  'forge.pull_not_found',
  'server.internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const errorIssueSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type ErrorIssue = z.infer<typeof errorIssueSchema>;

/** Every non-2xx answer has this body. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(errorIssueSchema).optional(),
    /** For `interaction.already_answered`: the answer that won. */
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** At most this many issues go in an error body: a batch of 2,000 bad ids is not 2,000 lines. */
export const MAX_ERROR_ISSUES = 100;
/** At most this many are named in a message; the rest are counted. */
const ISSUES_NAMED = 5;

/** Turns a zod error into field-named issues for an error body (the first MAX_ERROR_ISSUES). */
export function toErrorIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.slice(0, MAX_ERROR_ISSUES).map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/**
 * One line naming the bad fields, e.g. `title: Too small; context.type: Invalid input`: the first
 * few, then how many more (`total` when the issues were already cut to a first few).
 */
export function describeIssues(issues: readonly ErrorIssue[], total = issues.length): string {
  const named = issues
    .slice(0, ISSUES_NAMED)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  const more = total - Math.min(issues.length, ISSUES_NAMED);
  return more > 0 ? `${named}; and ${more} more` : named;
}
