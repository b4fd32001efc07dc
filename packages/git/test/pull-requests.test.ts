import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationHeaderValue } from '../src/git-env.js';
import { createFixture, forgeToken, jobId, type Fixture, caught } from './workspace-fixture.js';

// The pulls API through the real octokit client (with its retry and throttling plugins) against a
// GitHub REST emulator on 127.0.0.1: what a job's pull request looks like, GitHub Enterprise's base
// URL, rate limits, and the answers a person has to act on.

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function changedWorkspace(f: Fixture) {
  const ws = await f.port.prepare(f.prepareInput());
  await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
  return ws;
}

function expectNoToken(text: string): void {
  expect(text).not.toContain(forgeToken);
  expect(text).not.toContain(authorizationHeaderValue(forgeToken).slice(6));
}

describe('the pull request of a job', () => {
  it('has the job title, a body that links the job, summarizes the work and lists the attempts', async () => {
    fx = await createFixture();
    const ws = await changedWorkspace(fx);
    const jobUrl = `http://127.0.0.1:7420/jobs/${jobId}`;
    const input = fx.publishInput(ws);
    await fx.port.publish({ ...input, job: { ...input.job, webUrl: jobUrl } });
    expect(fx.api.pulls).toHaveLength(1);
    const [pull] = fx.api.pulls;
    expect(pull).toMatchObject({
      title: 'Fix the flaky widget test',
      head: ws.branch,
      base: 'main',
      draft: false,
    });
    expect(pull?.body).toContain('Fixed the race in the widget test.');
    expect(pull?.body).toContain(`[\`${jobId}\`](${jobUrl})`);
    expect(pull?.body).toContain('- Attempt 1 (this one): pushed');
  });

  it('is opened as a draft when the job asks for one', async () => {
    fx = await createFixture();
    const ws = await changedWorkspace(fx);
    await fx.port.publish(fx.publishInput(ws, { repository: { ...fx.repository, draft: true } }));
    expect(fx.api.pulls[0]?.draft).toBe(true);
    expect(fx.api.requests.find((r) => r.method === 'POST')?.body).toMatchObject({ draft: true });
  });

  it('works against a GitHub Enterprise base URL (/api/v3)', async () => {
    fx = await createFixture({}, { emulator: { prefix: '/api/v3' } });
    expect(fx.forge.apiBaseUrl).toMatch(/\/api\/v3$/);
    const ws = await changedWorkspace(fx);
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ kind: 'pull_request', pullRequest: { number: 1 } });
    expect(fx.api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v3/repos/acme/widgets/pulls',
      'POST /api/v3/repos/acme/widgets/pulls',
    ]);
    expect(fx.api.requests.every((r) => r.authorization === `token ${forgeToken}`)).toBe(true);
  });
});

describe('rate limits', () => {
  it('waits out a secondary rate limit for as long as Retry-After says, then opens the PR once', async () => {
    fx = await createFixture();
    const ws = await changedWorkspace(fx);
    fx.api.secondaryRateLimitNext('POST', 1);
    const result = await fx.port.publish(fx.publishInput(ws, { repository: fx.repository }));
    expect(result).toMatchObject({ kind: 'pull_request', pullRequest: { number: 1 } });
    const posts = fx.api.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(fx.api.pulls).toHaveLength(1);
    expect(fx.logs.some((l) => /secondary rate limit was hit.*waiting 1 s/.test(l))).toBe(true);
  });

  it('waits for the primary rate limit to reset when that fits the retry policy', async () => {
    fx = await createFixture({ retry: { minDelayMs: 5, maxDelayMs: 50, maxElapsedMs: 5_000 } });
    const ws = await changedWorkspace(fx);
    fx.api.primaryRateLimitNext('GET', 1);
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result.kind).toBe('pull_request');
    expect(fx.api.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'POST']);
  });

  it('gives up, retryably, on a rate limit that resets later than the policy waits', async () => {
    fx = await createFixture(); // 2 s at most
    const ws = await changedWorkspace(fx);
    fx.api.secondaryRateLimitNext('GET', 600);
    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error).toMatchObject({ code: 'git.pr_failed', retryable: true });
    expect(error.message).toMatch(/HTTP 403: You have exceeded a secondary rate limit/);
    expect(error.message).toMatch(/rate limit for this token held for longer than the runner waits/);
    expect(fx.api.requests).toHaveLength(1);
  });
});

describe('answers a person must act on', () => {
  const cases: [number, string | undefined, RegExp][] = [
    [
      401,
      undefined,
      /HTTP 401: Bad credentials\. The forge at http:\/\/127\.0\.0\.1:\d+\/api refused the token/,
    ],
    [
      403,
      undefined,
      /HTTP 403: Resource not accessible by integration\. .*"Pull requests: write" and "Contents: write"/,
    ],
    [
      404,
      undefined,
      /HTTP 404: Not Found\. No repository acme\/widgets at .*the token is granted this repository.*\/api\/v3/,
    ],
    [
      422,
      'Base branch was modified. Review and try the merge again.',
      /HTTP 422: Validation Failed: Base branch was modified.*branch protection/,
    ],
  ];

  it.each(cases)('HTTP %i fails at once, saying what to fix', async (status, message, expected) => {
    fx = await createFixture();
    const ws = await changedWorkspace(fx);
    fx.api.failNext(status === 422 ? 'POST' : 'GET', status, 5, {}, message);
    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error).toMatchObject({ code: 'git.pr_failed', retryable: false, details: { status } });
    expect(error.message).toMatch(expected);
    expectNoToken(JSON.stringify({ message: error.message, details: error.details }));
    // No retries of an answer: one call (a 422 create also looks once more for a PR that won a race).
    expect(fx.api.requests.map((r) => r.method)).toEqual(status === 422 ? ['GET', 'POST', 'GET'] : ['GET']);
  });

  it('a wrong token is refused by the forge itself and reported as such', async () => {
    fx = await createFixture();
    const ws = await changedWorkspace(fx);
    const error = await caught(
      fx.port.publish(fx.publishInput(ws, { forge: { ...fx.forge, token: 'ghs_wrongwrongwrongwrong' } })),
    );
    expect(error.message).toMatch(/HTTP 401: Bad credentials/);
    expect(error.message).not.toContain('ghs_wrongwrongwrongwrong');
  });

  it('a pull request that exists but cannot be found open (closed, from a fork) says so', async () => {
    fx = await createFixture();
    const ws = await changedWorkspace(fx);
    fx.api.failNext('POST', 422, 1, {}, `A pull request already exists for acme:${ws.branch}.`);
    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error.message).toContain(
      `A pull request already exists for acme:${ws.branch} that the runner cannot update`,
    );
  });
});
