import { describeIssues, errorBodySchema } from '@coord/runner-protocol';
import { CoordError, redactSecrets, type ErrorCode } from '../errors.js';

/**
 * A failed call to the Coord API. `status` is 0 for network errors and aborts (as in octokit).
 * `path` never carries a query string or a token; the message is redacted by CoordError.
 */
export class ApiError extends CoordError {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly method: string;
  readonly path: string;
  /** The server's own dotted code, e.g. `lease.lost` or `request.invalid`. */
  readonly serverCode: string | null;

  constructor(
    init: { code: ErrorCode; status: number; method: string; path: string; serverCode?: string | null },
    message: string,
    options: { cause?: unknown; retryable: boolean; details?: Record<string, unknown> },
  ) {
    super(init.code, message, options);
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.serverCode = init.serverCode ?? null;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** Maps the server's error code onto the runner's codes where the runner must react to it. */
export function runnerCodeFor(status: number, serverCode: string | null): ErrorCode {
  if (serverCode === 'lease.lost') return 'lease.lost';
  if (serverCode === 'protocol.unsupported_version') return 'api.unsupported_version';
  if (status === 401 || serverCode?.startsWith('auth.')) return 'auth.invalid_token';
  return 'api.http_error';
}

/** A network failure's message, with the system's code (ECONNRESET...) when there is one. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    const code =
      inner && typeof inner === 'object' && 'code' in inner ? String((inner as { code: unknown }).code) : '';
    return code ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}

/** The ApiError for a non-2xx answer: the server's code and field issues when it sent them. */
export function errorFromResponse(
  method: string,
  path: string,
  status: number,
  statusText: string,
  text: string,
  json: unknown,
): ApiError {
  const parsed = errorBodySchema.safeParse(json);
  const serverCode = parsed.success ? parsed.data.error.code : null;
  const serverMessage = parsed.success
    ? parsed.data.error.message +
      (parsed.data.error.issues?.length ? ` (${describeIssues(parsed.data.error.issues)})` : '')
    : // Redact before cutting: a cut through a token would leave a prefix no pattern knows.
      redactSecrets(text).slice(0, 200) || statusText;
  return new ApiError(
    { code: runnerCodeFor(status, serverCode), status, method, path, serverCode },
    `${method} ${path} failed with ${status}${serverCode ? ` ${serverCode}` : ''}: ${serverMessage}`,
    {
      retryable: status >= 500 || status === 429,
      ...(parsed.success && parsed.data.error.details ? { details: parsed.data.error.details } : {}),
    },
  );
}
