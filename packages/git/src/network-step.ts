import { retryTransient, type ErrorCode, type RetryPolicy } from '@coord/runner-core';
import { gitStep, isTransientGitFailure } from './git.js';

/** What a command that talks to the remote needs besides itself: when to stop, where to tell, how to retry. */
export interface NetworkContext {
  signal: AbortSignal;
  log: (message: string) => void;
  retry?: Partial<RetryPolicy> | undefined;
}

/**
 * A git command that talks to the remote (fetch, push, ls-remote): a `gitStep` whose transient
 * failures (connection refused or reset, timeouts, 5xx) are retried with core's backoff policy,
 * within the policy's time and until the signal aborts. An outage does not cost the attempt.
 */
export function networkStep<T>(
  context: NetworkContext,
  code: ErrorCode,
  what: string,
  run: () => Promise<T>,
  retryable: (message: string) => boolean = isTransientGitFailure,
): Promise<T> {
  return retryTransient(() => gitStep(context.signal, code, what, run, retryable), {
    what,
    signal: context.signal,
    policy: context.retry,
    onRetry: (error, next) => context.log(`${error.message}; retrying (try ${next})`),
  });
}
