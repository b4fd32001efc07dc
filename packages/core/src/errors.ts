import { redactJson, redactSecrets } from './redact.js';

/**
 * One error type for the whole runner. Consumers match on `code` (a stable contract), never on
 * messages. Errors cross Electron IPC and NDJSON as `ErrorPayload`, so the brand is a property,
 * not a prototype.
 */
export type ErrorCode =
  | 'api.network'
  | 'api.http_error'
  | 'api.invalid_response'
  | 'api.unsupported_version'
  | 'auth.invalid_token'
  | 'auth.sign_in_failed'
  | 'lease.lost'
  | 'attempt.refused'
  | 'job.invalid_payload'
  | 'job.unsupported_context'
  | 'job.cancelled'
  | 'agent.not_found'
  | 'agent.spawn_failed'
  | 'agent.crashed'
  | 'agent.failed'
  | 'agent.bad_output'
  | 'agent.timeout'
  | 'agent.stalled'
  | 'agent.budget_exceeded'
  | 'agent.interrupted'
  | 'git.clone_failed'
  | 'git.invalid_branch'
  | 'git.invalid_remote'
  | 'git.commit_failed'
  | 'git.push_rejected'
  | 'git.push_failed'
  | 'git.pr_failed'
  | 'git.secret_detected'
  | 'git.conflict'
  | 'git.file_too_large'
  | 'workspace.failed'
  | 'artifact.upload_failed'
  | 'artifact.secret_detected'
  | 'artifact.refused'
  | 'store.failed'
  | 'runner.restarted'
  | 'runner.stopped'
  | 'runner.internal';

export interface ErrorPayload {
  code: ErrorCode | (string & {});
  message: string;
  /** Transient failures (network, 5xx, agent crash) may be retried; permanent ones fail the job at once. */
  retryable: boolean;
  details?: Record<string, unknown>;
}

const brand = Symbol.for('coord.runner.error');

export class CoordError extends Error {
  readonly [brand] = true;
  override readonly name: string = 'CoordError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details === undefined ? undefined : redactJson(options.details);
  }
}

export function isCoordError(value: unknown): value is CoordError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Plain-JSON form of any thrown value; unknown errors become `runner.internal`. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (isCoordError(error)) {
    return {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.details ? { details: error.details } : {}),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'runner.internal', message: redactSecrets(message), retryable: false };
}

// One redactor for errors and events alike (redact.ts); re-exported where it always was.
export { redactSecrets, registerSecret } from './redact.js';
