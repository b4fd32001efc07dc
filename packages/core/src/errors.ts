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
  | 'agent.interrupted'
  | 'git.clone_failed'
  | 'git.invalid_branch'
  | 'git.invalid_remote'
  | 'git.commit_failed'
  | 'git.push_rejected'
  | 'git.push_failed'
  | 'git.pr_failed'
  | 'git.secret_detected'
  | 'workspace.failed'
  | 'artifact.upload_failed'
  | 'store.failed'
  | 'runner.restarted'
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
    this.details = options.details === undefined ? undefined : redactDeep(options.details);
  }
}

/** Redacts every string in plain JSON data (details come from servers, which may echo a token). */
function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [redactSecrets(k), redactDeep(v)]),
    ) as T;
  }
  return value;
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

const registeredSecrets = new Set<string>();

/**
 * Registers a secret (a token) so that every CoordError message and every redacted string hides
 * it. Called wherever a secret enters the process: the client's token, minted forge tokens.
 */
export function registerSecret(secret: string | null | undefined): void {
  if (secret && secret.length >= 6) registeredSecrets.add(secret);
}

const secretPatterns: RegExp[] = [
  /(authorization:\s*(?:bearer|token|basic)\s+)[^\s"']+/gi,
  /(bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  // Keeps the `@` so the URL still reads as one: `https://***@host/path`.
  /(https?:\/\/)[^/\s:@]+(?::[^/\s@]*)?(?=@)/gi,
  /\b(ghp_|gho_|ghs_|github_pat_|sk-ant-|sk-)[A-Za-z0-9_-]{8,}/g,
];

/** Hides registered secrets and anything shaped like a credential. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) out = out.split(secret).join('***');
  for (const pattern of secretPatterns) out = out.replace(pattern, (_m, prefix: string) => `${prefix}***`);
  return out;
}
