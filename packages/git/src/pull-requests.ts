import { CoordError, isCoordError, type RetryPolicy } from '@coord/runner-core';
import type { ForgeCredentials } from '@coord/runner-protocol';
import type { Octokit } from '@octokit/rest';
import { createForgeClient, type ForgeClient } from './forge-client.js';

export interface PullRequestRequest {
  forge: ForgeCredentials;
  owner: string;
  repo: string;
  /** The job branch, in the same repository. */
  branch: string;
  base: string;
  title: string;
  body: string;
  /** Open it as a draft (a pull request that exists is left as it is: REST cannot change that). */
  draft?: boolean | undefined;
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

interface Call {
  client: ForgeClient;
  request: PullRequestRequest;
}

/**
 * One pull request per job branch: an open one for `owner:branch` is updated, otherwise one is
 * created. A retry after a crash between push and PR, or a create that loses a race (422 "already
 * exists"), therefore ends with the same single pull request. Each call is retried through
 * transient failures and rate limits by the forge client, on its own, so a retry never repeats a
 * create that succeeded.
 */
export async function upsertPullRequest(request: PullRequestRequest): Promise<UpsertedPullRequest> {
  const call: Call = { client: createForgeClient(request), request };
  const { octokit } = call.client;
  const existing = await findOpenPullRequest(call);
  if (existing) return await update(call, existing);
  try {
    const { data } = await send(call, 'Opening the pull request', () =>
      octokit.rest.pulls.create({
        owner: request.owner,
        repo: request.repo,
        title: request.title,
        head: request.branch,
        base: request.base,
        body: request.body,
        ...(request.draft ? { draft: true } : {}),
        request: { signal: request.signal },
      }),
    );
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    // Someone (an earlier try whose answer we never got, too) opened it first: use that one.
    if (!isCoordError(error) || error.details?.['status'] !== 422) throw error;
    const raced = await findOpenPullRequest(call);
    if (!raced) throw error;
    return await update(call, raced);
  }
}

/** One forge call; whatever the client's retries leave becomes a `git.pr_failed` that says what to fix. */
async function send<T>(call: Call, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (call.request.signal.aborted) {
      throw new CoordError('job.cancelled', `${what} was cancelled.`, { cause: error });
    }
    throw pullRequestError(error, call.request, what, call.client.lastTries());
  }
}

async function findOpenPullRequest(call: Call): Promise<number | null> {
  const { request } = call;
  const { data } = await send(call, 'Looking up the pull request', () =>
    call.client.octokit.rest.pulls.list({
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

async function update(call: Call, number: number): Promise<UpsertedPullRequest> {
  const { request } = call;
  const { data } = await send(call, 'Updating the pull request', () =>
    (call.client.octokit as Octokit).rest.pulls.update({
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

/** GitHub's own words: its message and, for a 422, each validation error's. */
function forgeWords(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data as
    { message?: unknown; errors?: unknown } | undefined;
  const message =
    typeof data?.message === 'string' ? data.message : error instanceof Error ? error.message : String(error);
  const details = Array.isArray(data?.errors)
    ? data.errors
        .map((e: unknown) =>
          typeof e === 'string'
            ? e
            : typeof (e as { message?: unknown }).message === 'string'
              ? String((e as { message: string }).message)
              : [(e as { field?: unknown }).field, (e as { code?: unknown }).code].filter(Boolean).join(' '),
        )
        .filter(Boolean)
    : [];
  return [message, ...details].join(': ').slice(0, 500);
}

/** A rate limit: 429, or GitHub's 403 that says so (secondary limit, or no requests left). */
function isRateLimited(error: unknown, status: number | undefined): boolean {
  if (status === 429) return true;
  return (
    status === 403 &&
    (/rate limit/i.test(forgeWords(error)) ||
      headerOf(error, 'retry-after') !== undefined ||
      headerOf(error, 'x-ratelimit-remaining') === '0')
  );
}

/** What the person who runs the forge side should do about each answer. */
function advice(status: number | undefined, error: unknown, request: PullRequestRequest): string {
  const where = `${request.owner}/${request.repo}`;
  const api = request.forge.apiBaseUrl;
  if (isRateLimited(error, status)) {
    return `The forge's rate limit for this token held for longer than the runner waits; the job can run again once it resets.`;
  }
  switch (status) {
    case 401:
      return `The forge at ${api} refused the token (expired, revoked, or not a token for this forge). The Coord server mints it for each attempt: check the server's forge credentials.`;
    case 403:
      return `The token may not open pull requests on ${where}: it needs "Pull requests: write" and "Contents: write" (a fine-grained token or GitHub App) or the "repo" scope (a classic token), and SSO authorization where the organization enforces it.`;
    case 404:
      return `No repository ${where} at ${api}, or the token cannot see it: check the job's owner and name, that the token is granted this repository, and for GitHub Enterprise that the API base URL ends in /api/v3.`;
    case 422: {
      const words = forgeWords(error);
      if (/already exists/i.test(words)) {
        return `A pull request already exists for ${request.owner}:${request.branch} that the runner cannot update (closed, or from another fork): reopen or close it, then run the job again.`;
      }
      if (/no commits between/i.test(words)) {
        return `The branch ${request.branch} has no commits that ${request.base} lacks.`;
      }
      return `The forge refused the pull request's fields: check that the base branch ${request.base} exists and that branch protection or repository rules allow a pull request from ${request.branch}.`;
    }
    default:
      return '';
  }
}

function pullRequestError(
  error: unknown,
  request: PullRequestRequest,
  what: string,
  tries: number,
): CoordError {
  if (error instanceof CoordError) return error;
  const status = statusOf(error);
  // Status 500 without a response is a network failure (octokit reports those as 500); 5xx and
  // rate limits are the forge asking us to come back. 401, 403, 404 and 422 are answers.
  const retryable = status === undefined || status === 0 || status >= 500 || isRateLimited(error, status);
  const hint = advice(status, error, request);
  const gaveUp = retryable && tries > 1 ? ` (gave up after ${tries} tries)` : '';
  return new CoordError(
    'git.pr_failed',
    `${what} on ${request.owner}/${request.repo} failed: ${status ? `HTTP ${status}: ` : ''}${forgeWords(error)}${gaveUp}.${hint ? ` ${hint}` : ''}`,
    { cause: error, retryable, ...(status ? { details: { status } } : {}) },
  );
}
