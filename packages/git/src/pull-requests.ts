import { CoordError, isCoordError, retryTransient, type RetryPolicy } from '@coord/runner-core';
import type { ForgeCredentials } from '@coord/runner-protocol';
import { Octokit } from '@octokit/rest';

export interface PullRequestRequest {
  forge: ForgeCredentials;
  owner: string;
  repo: string;
  /** The job branch, in the same repository. */
  branch: string;
  base: string;
  title: string;
  body: string;
  fetch?: typeof fetch | undefined;
  signal: AbortSignal;
  log: (message: string) => void;
  retry?: Partial<RetryPolicy> | undefined;
}

export interface UpsertedPullRequest {
  number: number;
  url: string;
  /** False when an open pull request for the branch already existed and was updated. */
  created: boolean;
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function createOctokit(forge: ForgeCredentials, fetchImpl?: typeof fetch): Octokit {
  return new Octokit({
    baseUrl: forge.apiBaseUrl.replace(/\/+$/, ''),
    auth: forge.token,
    userAgent: 'coord-runner',
    log: quiet,
    ...(fetchImpl ? { request: { fetch: fetchImpl } } : {}),
  });
}

/**
 * One pull request per job branch: an open one for `owner:branch` is updated, otherwise one is
 * created. A retry after a crash between push and PR, or a create that loses a race (422 "already
 * exists"), therefore ends with the same single pull request. Each call is retried through
 * transient failures (network, 5xx, rate limits) on its own, so a retry never repeats a create
 * that succeeded.
 */
export async function upsertPullRequest(request: PullRequestRequest): Promise<UpsertedPullRequest> {
  const octokit = createOctokit(request.forge, request.fetch);
  const existing = await findOpenPullRequest(octokit, request);
  if (existing) return await update(octokit, request, existing);
  try {
    const { data } = await call(request, 'Opening the pull request', () =>
      octokit.rest.pulls.create({
        owner: request.owner,
        repo: request.repo,
        title: request.title,
        head: request.branch,
        base: request.base,
        body: request.body,
        request: { signal: request.signal },
      }),
    );
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    // Someone (an earlier try whose answer we never got, too) opened it first: use that one.
    if (!isCoordError(error) || error.details?.['status'] !== 422) throw error;
    const raced = await findOpenPullRequest(octokit, request);
    if (!raced) throw error;
    return await update(octokit, request, raced);
  }
}

/** One forge call, retried through transient failures; every failure becomes a `git.pr_failed`. */
function call<T>(request: PullRequestRequest, what: string, run: () => Promise<T>): Promise<T> {
  const where = `${request.owner}/${request.repo}`;
  return retryTransient(
    async () => {
      try {
        return await run();
      } catch (error) {
        throw pullRequestError(error, where);
      }
    },
    {
      what,
      signal: request.signal,
      policy: request.retry,
      retryAfterMs: (error) => retryAfterMs(error.cause),
      onRetry: (error, next) => request.log(`${what}: ${error.message}; retrying (try ${next})`),
    },
  );
}

async function findOpenPullRequest(octokit: Octokit, request: PullRequestRequest): Promise<number | null> {
  const { data } = await call(request, 'Looking up the pull request', () =>
    octokit.rest.pulls.list({
      owner: request.owner,
      repo: request.repo,
      head: `${request.owner}:${request.branch}`,
      state: 'open',
      per_page: 100,
      request: { signal: request.signal },
    }),
  );
  // Checked again here: a forge that ignores the `head` filter must not make us edit someone else's PR.
  const match = data.find((pull) => pull.head.ref === request.branch && pull.state === 'open');
  return match ? match.number : null;
}

async function update(
  octokit: Octokit,
  request: PullRequestRequest,
  number: number,
): Promise<UpsertedPullRequest> {
  const { data } = await call(request, 'Updating the pull request', () =>
    octokit.rest.pulls.update({
      owner: request.owner,
      repo: request.repo,
      pull_number: number,
      title: request.title,
      body: request.body,
      request: { signal: request.signal },
    }),
  );
  return { number: data.number, url: data.html_url, created: false };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function headerOf(error: unknown, name: string): string | undefined {
  const headers = (error as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
  const value = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** A rate limit: 429, or GitHub's 403 that says when to come back. Not a refused token. */
function isRateLimited(error: unknown, status: number | undefined): boolean {
  if (status === 429) return true;
  return (
    status === 403 &&
    (headerOf(error, 'retry-after') !== undefined || headerOf(error, 'x-ratelimit-remaining') === '0')
  );
}

/** How long the forge asked us to wait: `Retry-After` (seconds or a date), else the rate limit's reset. */
export function retryAfterMs(error: unknown, now = Date.now()): number | null {
  const retryAfter = headerOf(error, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const reset = Number(headerOf(error, 'x-ratelimit-reset'));
  if (headerOf(error, 'x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) {
    return Math.max(0, reset * 1000 - now);
  }
  return null;
}

/** octokit's RequestError already hides the authorization header; CoordError hides the token anywhere else. */
function pullRequestError(error: unknown, where: string): CoordError {
  if (error instanceof CoordError) return error;
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  // Status 0 (or none) is a network failure or abort (octokit reports those as 500); 5xx and rate
  // limits are the forge asking us to come back. 401, 403, 404 and 422 are answers: not retried.
  const retryable = status !== undefined && (status === 0 || status >= 500 || isRateLimited(error, status));
  const hint = isRateLimited(error, status)
    ? ' (rate limited)'
    : status === 401 || status === 403
      ? ' (the forge token was refused or lacks permission)'
      : status === 404
        ? ' (no such repository, or no access)'
        : '';
  return new CoordError(
    'git.pr_failed',
    `Could not open or update the pull request on ${where}: ${status ? `HTTP ${status}: ` : ''}${message.slice(0, 500)}${hint}`,
    { cause: error, retryable, ...(status ? { details: { status } } : {}) },
  );
}
