import { CoordError } from '@coord/runner-core';
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
 * exists"), therefore ends with the same single pull request.
 */
export async function upsertPullRequest(request: PullRequestRequest): Promise<UpsertedPullRequest> {
  const octokit = createOctokit(request.forge, request.fetch);
  const where = `${request.owner}/${request.repo}`;
  try {
    const existing = await findOpenPullRequest(octokit, request);
    if (existing) return await update(octokit, request, existing);
    try {
      const { data } = await octokit.rest.pulls.create({
        owner: request.owner,
        repo: request.repo,
        title: request.title,
        head: request.branch,
        base: request.base,
        body: request.body,
      });
      return { number: data.number, url: data.html_url, created: true };
    } catch (error) {
      if (statusOf(error) !== 422) throw error;
      const raced = await findOpenPullRequest(octokit, request);
      if (!raced) throw error;
      return await update(octokit, request, raced);
    }
  } catch (error) {
    throw pullRequestError(error, where);
  }
}

async function findOpenPullRequest(octokit: Octokit, request: PullRequestRequest): Promise<number | null> {
  const { data } = await octokit.rest.pulls.list({
    owner: request.owner,
    repo: request.repo,
    head: `${request.owner}:${request.branch}`,
    state: 'open',
    per_page: 100,
  });
  // Checked again here: a forge that ignores the `head` filter must not make us edit someone else's PR.
  const match = data.find((pull) => pull.head.ref === request.branch && pull.state === 'open');
  return match ? match.number : null;
}

async function update(
  octokit: Octokit,
  request: PullRequestRequest,
  number: number,
): Promise<UpsertedPullRequest> {
  const { data } = await octokit.rest.pulls.update({
    owner: request.owner,
    repo: request.repo,
    pull_number: number,
    title: request.title,
    body: request.body,
  });
  return { number: data.number, url: data.html_url, created: false };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** octokit's RequestError already hides the authorization header; CoordError hides the token anywhere else. */
function pullRequestError(error: unknown, where: string): CoordError {
  if (error instanceof CoordError) return error;
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  // Status 0 (or none) is a network failure or abort; 429 and 5xx are the forge asking us to come back.
  const retryable = status !== undefined && (status === 0 || status === 429 || status >= 500);
  const hint =
    status === 401 || status === 403
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
