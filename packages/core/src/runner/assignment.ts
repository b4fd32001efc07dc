import {
  assignmentEnvelopeSchema,
  assignmentSchema,
  describeIssues,
  toErrorIssues,
  type Assignment,
  type AssignmentEnvelope,
} from '@coord/runner-protocol';
import type { ErrorPayload } from '../errors.js';

export type ParsedAssignment =
  | { kind: 'ok'; assignment: Assignment }
  /** The attempt is usable but the job is not: report the attempt failed with `error`. */
  | { kind: 'rejected'; envelope: AssignmentEnvelope; error: ErrorPayload }
  /** Not even the attempt could be read: nothing can be reported to the server. */
  | { kind: 'unreadable'; error: ErrorPayload };

/**
 * Parses a claim's assignment in two steps so that a job the runner cannot understand (a newer
 * server, a corrupted payload) still yields an attempt it can report as failed, with the reason.
 */
export function parseAssignment(raw: unknown): ParsedAssignment {
  const envelope = assignmentEnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    return {
      kind: 'unreadable',
      error: {
        code: 'api.invalid_response',
        message: `The server sent an assignment without a usable attempt: ${describeIssues(toErrorIssues(envelope.error), envelope.error.issues.length)}`,
        retryable: false,
      },
    };
  }
  const job = assignmentSchema.shape.job.safeParse(envelope.data.job);
  if (!job.success) {
    return {
      kind: 'rejected',
      envelope: envelope.data,
      error: {
        code: 'job.invalid_payload',
        message: `The job's payload is invalid, so this runner cannot run it: ${describeIssues(
          toErrorIssues(job.error).map((i) => ({ ...i, path: `job.${i.path}` })),
          job.error.issues.length,
        )}`,
        retryable: false,
      },
    };
  }
  return { kind: 'ok', assignment: { ...envelope.data, job: job.data } };
}
