import { assignmentSchema, jobResponseSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { claimNow, register, startServer, submit, type Api } from './helpers.js';

const repositoryJob = {
  context: {
    type: 'repository' as const,
    repository: { cloneUrl: 'https://github.com/acme/widgets.git', owner: 'acme', name: 'widgets' },
  },
  maxAttempts: 2,
};
const pr = { url: 'https://github.com/acme/widgets/pull/7', number: 7, branch: 'coord/fix-7' };

async function complete(api: Api, runner: string, attemptId: string, body: Record<string, unknown>) {
  const res = await api(
    'POST',
    `/v1/attempts/${attemptId}/complete`,
    { lastSeq: 0, ...body },
    { runnerId: runner },
  );
  expect(res.status).toBe(200);
}

/** A repository job whose first attempt opened a PR: it waits in Awaiting Review. */
async function inReview(api: Api) {
  const runner = await register(api);
  const jobId = await submit(api, repositoryJob);
  const first = await claimNow(api, runner);
  await complete(api, runner, first.attempt.id, {
    outcome: 'succeeded',
    summary: 'Added it.',
    pullRequest: pr,
  });
  return { runner, jobId };
}

describe('request changes', () => {
  it('makes a job in Awaiting Review Ready again; its next attempt carries the feedback, the branch and a link', async () => {
    const { api, server } = await startServer();
    const { runner, jobId } = await inReview(api);
    const res = await api('POST', `/v1/jobs/${jobId}/request-changes`, {
      feedback: '  Rename the helper.  ',
    });
    expect(res.status).toBe(200);
    expect(jobResponseSchema.parse(res.body).job.status).toBe('ready');

    const second = assignmentSchema.parse(await claimNow(api, runner));
    expect(second.attempt).toMatchObject({
      number: 2,
      branch: 'coord/fix-7',
      feedback: 'Rename the helper.',
    });
    expect(second.attempt.earlier).toEqual([
      { number: 1, status: 'succeeded', summary: 'Added it.', error: null, feedback: null },
    ]);
    expect(second.job.webUrl).toBe(`${server.url}/jobs/${jobId}`);
    await complete(api, runner, second.attempt.id, {
      outcome: 'succeeded',
      summary: 'Renamed.',
      pullRequest: pr,
    });

    const view = jobResponseSchema.parse((await api('GET', `/v1/jobs/${jobId}`)).body).job;
    expect(view.status).toBe('awaiting_review');
    expect(view.attempts.map((a) => a.feedback)).toEqual([null, 'Rename the helper.']);
    // Delivered: a later revision starts without it, and lists it among the earlier attempts.
    await api('POST', `/v1/jobs/${jobId}/request-changes`, { feedback: 'And the docs.' });
    const third = assignmentSchema.parse(await claimNow(api, runner));
    expect(third.attempt.feedback).toBe('And the docs.');
    expect(third.attempt.earlier?.map((a) => a.feedback)).toEqual([null, 'Rename the helper.']);
  });

  it('keeps the feedback for the retry of a revision that failed transiently, with a fresh retry budget', async () => {
    const { api } = await startServer();
    const { runner, jobId } = await inReview(api);
    await api('POST', `/v1/jobs/${jobId}/request-changes`, { feedback: 'Rename it.' });
    const failing = await claimNow(api, runner);
    await complete(api, runner, failing.attempt.id, {
      outcome: 'failed',
      error: { code: 'git.push_failed', message: 'network', retryable: true },
    });
    // maxAttempts is 2: attempt 1 was before the review, so the revision may try twice.
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('ready');
    const retry = await claimNow(api, runner);
    expect(retry.attempt).toMatchObject({ number: 3, feedback: 'Rename it.', branch: 'coord/fix-7' });
  });

  it('is refused, saying why, unless the job is in Awaiting Review; empty feedback is refused', async () => {
    const { api } = await startServer();
    const jobId = await submit(api, repositoryJob);
    const ready = await api('POST', `/v1/jobs/${jobId}/request-changes`, { feedback: 'x' });
    expect(ready.status).toBe(409);
    expect(ready.body.error).toMatchObject({ code: 'job.invalid_state' });
    expect(ready.body.error.message).toContain(
      'is ready: changes can be requested only on a job in Awaiting Review',
    );
    const { jobId: reviewed } = await inReview(api);
    const blank = await api('POST', `/v1/jobs/${reviewed}/request-changes`, { feedback: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['feedback']);
    expect((await api('POST', '/v1/jobs/job_missing/request-changes', { feedback: 'x' })).status).toBe(404);
  });
});
