import { createHash } from 'node:crypto';
import { defaultRetryPolicy, type RetryPolicy } from '@coord/runner-core';
import type { ForgeCredentials } from '@coord/runner-protocol';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';

export interface ForgeClientOptions {
  forge: ForgeCredentials;
  fetch?: typeof fetch | undefined;
  signal: AbortSignal;
  log: (message: string) => void;
  retry?: Partial<RetryPolicy> | undefined;
}

/** The client plus what it tried: `tries` of the last request, for "gave up after N tries". */
export interface ForgeClient {
  octokit: Octokit;
  lastTries(): number;
}

// Statuses that are answers, not outages. 403 and 429 are the throttling plugin's to retry (when
// they are rate limits); the retry plugin never touches them, so no request is retried twice.
const answers = [400, 401, 403, 404, 410, 422, 429, 451];

/**
 * Counts and reports each try of a request. It is the first plugin, so it wraps the bare request
 * inside the retry and throttling plugins: it sees every try, they see its outcome.
 */
function tryReporter(
  octokit: Pick<Octokit, 'hook'>,
  options: { reportTry?: (tries: number, error: unknown) => void } & Record<string, unknown>,
) {
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const tries =
      Number((requestOptions.request as { retryCount?: number } | undefined)?.retryCount ?? 0) + 1;
    try {
      return await request(requestOptions);
    } catch (error) {
      options.reportTry?.(tries, error);
      throw error;
    }
  });
}

const ForgeOctokit = Octokit.plugin(tryReporter, retry, throttling);

/**
 * How many quadratic retries (`base * n²` ms after the n-th failure, the retry plugin's schedule)
 * fit in the policy's time: core's one RetryPolicy bounds the forge calls as it bounds git's.
 */
export function retriesWithin(policy: RetryPolicy): number {
  let total = 0;
  let retries = 0;
  while (retries < 50) {
    const next = policy.minDelayMs * (retries + 1) ** 2;
    if (total + next > policy.maxElapsedMs) break;
    total += next;
    retries += 1;
  }
  return retries;
}

/**
 * An octokit for one job's pull-request calls. One retry policy, split by kind so nothing is
 * retried twice: 5xx and network failures by @octokit/plugin-retry, rate limits (GitHub's primary
 * and secondary, `Retry-After`) by @octokit/plugin-throttling, which also paces writes as GitHub
 * asks. Both stop at the policy's time (and when the signal aborts); what is left becomes one
 * CoordError, retryable, for the attempt to decide. `retryTransient` is for git's commands only.
 */
export function createForgeClient(options: ForgeClientOptions): ForgeClient {
  const policy = { ...defaultRetryPolicy, ...options.retry };
  const started = Date.now();
  let tries = 0;
  const waitFits = (retryAfterSeconds: number) =>
    !options.signal.aborted && Date.now() - started + retryAfterSeconds * 1000 <= policy.maxElapsedMs;
  const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }) => {
    if (!waitFits(retryAfter)) return false;
    options.log(
      `The forge's ${kind} was hit (${request.method} ${request.url}); waiting ${retryAfter} s as it asks, then trying again`,
    );
    return true;
  };
  const octokit = new ForgeOctokit({
    baseUrl: options.forge.apiBaseUrl.replace(/\/+$/, ''),
    auth: options.forge.token,
    userAgent: 'coord-runner',
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
    reportTry: (n: number, error: unknown) => {
      tries = n;
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number' && answers.includes(status)) return;
      const message = error instanceof Error ? error.message : String(error);
      options.log(
        `The forge failed try ${n} (${status ? `HTTP ${String(status)}: ` : ''}${message.slice(0, 200)})`,
      );
    },
    retry: {
      doNotRetry: answers,
      retries: retriesWithin(policy),
      retryAfterBaseValue: policy.minDelayMs,
    },
    throttle: {
      // Pacing is per token and forge: another job's calls on another forge never wait for these.
      id: createHash('sha256').update(`${options.forge.apiBaseUrl}\0${options.forge.token}`).digest('hex'),
      retryAfterBaseValue: 1000,
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
    },
  } as ConstructorParameters<typeof ForgeOctokit>[0]);
  return { octokit, lastTries: () => tries };
}
