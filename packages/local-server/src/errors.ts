import type { ErrorBody, ErrorCode, ErrorIssue } from '@coord/runner-protocol';

/** An answer with a stable code; thrown anywhere below the HTTP layer and rendered by it. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 421 | 422 | 500,
    readonly code: ErrorCode,
    message: string,
    readonly extra: { issues?: ErrorIssue[]; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}
