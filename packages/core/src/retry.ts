import pRetry from 'p-retry';
import { CoordError, isCoordError } from './errors.js';

/**
 * The one backoff policy of core: the wait before retry n is `minDelayMs * 2^(n-1)`, times a
 * random 1-2 (jitter, so runners that failed together do not retry together), at most
 * `maxDelayMs`. p-retry (the API client, `retryTransient`) and the runner's own loops (claims,
 * hints, uploads, completion delivery, agent retries) all wait by it.
 */
export interface Backoff {
  /** Delay before the first retry (ms). */
  minDelayMs: number;
  /** Longest delay between two tries (ms): an outage that ends is noticed within this. */
  maxDelayMs: number;
}

/** The wait before retry number `retry` (1 for the first), with `random()` in [0, 1). */
export function backoffDelayMs(backoff: Backoff, retry: number, random: () => number): number {
  const exponent = Math.min(Math.max(retry, 1) - 1, 30);
  return Math.round(Math.min(backoff.maxDelayMs, backoff.minDelayMs * 2 ** exponent * (1 + random())));
}

/** The same policy, as p-retry's options. */
export function pRetryTiming(backoff: Backoff) {
  return { minTimeout: backoff.minDelayMs, maxTimeout: backoff.maxDelayMs, factor: 2, randomize: true };
}

/** Talking to the Coord server again after a failure (claims, hints, reports): about 1 s, at most 30 s. */
export const serverBackoff: Backoff = { minDelayMs: 500, maxDelayMs: 30_000 };

/** Running a crashed or stalled agent again in place: a few seconds, at most a minute. */
export const agentRetryBackoff: Backoff = { minDelayMs: 2_000, maxDelayMs: 60_000 };

/** How a call to another machine (a forge, a git remote) is retried through transient failures. */
export interface RetryPolicy extends Backoff {
  /** Stop retrying once this long has passed since the first try (ms). */
  maxElapsedMs: number;
}

/** Minutes are fine: the lease keeps renewing while the runner waits for the other side. */
export const defaultRetryPolicy: RetryPolicy = {
  maxElapsedMs: 5 * 60_000,
  minDelayMs: 500,
  maxDelayMs: 10_000,
};

export interface RetryOptions {
  /** What is being done, for messages: "Push of coord/x to acme/widgets". */
  what: string;
  /** Ends the retrying at once (the lease was lost, the job cancelled or stopped). */
  signal: AbortSignal;
  policy?: Partial<RetryPolicy> | undefined;
  /** How long the other side asked us to wait (a `Retry-After`), in ms, or null. */
  retryAfterMs?: ((error: CoordError) => number | null) | undefined;
  /** Called before each retry, with the failure that caused it and the number of the next try. */
  onRetry?: ((error: CoordError, nextTry: number) => void) | undefined;
}

/**
 * Runs `run` again after each retryable CoordError, with jittered exponential backoff, until it
 * succeeds, fails for good (anything else is thrown at once), the signal aborts (`job.cancelled`)
 * or the policy's time is up (the last error, still retryable, says how long we tried).
 */
export async function retryTransient<T>(run: () => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = { ...defaultRetryPolicy, ...options.policy };
  const { signal } = options;
  const started = performance.now();
  let tries = 0;
  try {
    return await pRetry(
      async () => {
        tries += 1;
        return run();
      },
      {
        retries: Number.POSITIVE_INFINITY,
        maxRetryTime: policy.maxElapsedMs,
        ...pRetryTiming(policy),
        signal,
        // A wait the other side asked for replaces our own backoff (it does not add to it).
        shouldConsumeRetry: ({ error }) => !(isCoordError(error) && retryAfter(options, error) !== null),
        shouldRetry: async ({ error }) => {
          if (!isCoordError(error) || !error.retryable || signal.aborted) return false;
          options.onRetry?.(error, tries + 1);
          const asked = retryAfter(options, error);
          if (asked !== null) {
            const left = policy.maxElapsedMs - (performance.now() - started);
            if (asked > left) return false;
            await abortableDelay(asked, signal);
          }
          return true;
        },
      },
    );
  } catch (error) {
    if (signal.aborted) {
      if (isCoordError(error) && error.code === 'job.cancelled') throw error;
      throw new CoordError('job.cancelled', `${options.what} was cancelled.`, { cause: error });
    }
    if (isCoordError(error) && error.retryable && tries > 1) {
      const seconds = Math.round((performance.now() - started) / 1000);
      throw new CoordError(error.code, `${error.message} (gave up after ${tries} tries in ${seconds} s)`, {
        cause: error,
        retryable: true,
        ...(error.details ? { details: error.details } : {}),
      });
    }
    throw error;
  }
}

function retryAfter(options: RetryOptions, error: CoordError): number | null {
  const ms = options.retryAfterMs?.(error) ?? null;
  return ms !== null && Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
