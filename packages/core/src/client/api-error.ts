import { CoordError, type ErrorCode } from '../errors.js';

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
