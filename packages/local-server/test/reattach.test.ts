import { assignmentEnvelopeSchema, reattachResponseSchema } from '@coord/runner-protocol';
import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { claimNow, register, startServer, submit, waitFor } from './helpers.js';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('a restarted runner reattaching to an attempt it holds', () => {
  it('gets the same attempt back with its lease renewed; anyone else, or a lost attempt, is 409 lease.lost', async () => {
    const { api } = await startServer({ leaseTtlMs: 2_000, sweepIntervalMs: 20, affinityMs: 1 });
    const runner = await register(api);
    const other = await register(api, { machineId: 'machine-other' });
    const jobId = await submit(api);
    const claimed = assignmentEnvelopeSchema.parse(await claimNow(api, runner));

    // Registering again (a restart) keeps the runner id, and the attempt is still its.
    expect(await register(api)).toBe(runner);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const res = await api('POST', `/v1/attempts/${claimed.attempt.id}/reattach`, {}, { runnerId: runner });
    expect(res.status).toBe(200);
    const { assignment } = reattachResponseSchema.parse(res.body);
    expect(assignment).toEqual({
      ...claimed,
      attempt: { ...claimed.attempt, leaseExpiresAt: expect.any(String) },
    });
    expect(Date.parse(assignment.attempt.leaseExpiresAt)).toBeGreaterThan(
      Date.parse(claimed.attempt.leaseExpiresAt),
    );
    // No new attempt: the job is still in progress with the one.
    const job = (await api('GET', `/v1/jobs/${jobId}`)).body.job;
    expect(job).toMatchObject({
      status: 'in_progress',
      attempts: [{ id: claimed.attempt.id, status: 'active' }],
    });

    const stolen = await api('POST', `/v1/attempts/${claimed.attempt.id}/reattach`, {}, { runnerId: other });
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('lease.lost');

    await waitFor(
      async () => (await api('GET', `/v1/jobs/${jobId}`)).body.job.attempts[0].status === 'lost',
      'the lease to expire',
    );
    const late = await api('POST', `/v1/attempts/${claimed.attempt.id}/reattach`, {}, { runnerId: runner });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'lease.lost', message: expect.stringContaining('lost') });
  });

  it('mints a new forge token for the attempt, and the old one stops working', async () => {
    const { server, api } = await startServer();
    const octokit = new Octokit({ log: quiet, baseUrl: `${server.url}/forge/api`, auth: server.token });
    const repo = (await octokit.rest.repos.createForAuthenticatedUser({ name: 'work', auto_init: true }))
      .data;
    const runner = await register(api);
    await submit(api, {
      context: { type: 'repository', repository: { cloneUrl: repo.clone_url, owner: 'local', name: 'work' } },
    });
    const claimed = await claimNow(api, runner);
    const res = await api('POST', `/v1/attempts/${claimed.attempt.id}/reattach`, {}, { runnerId: runner });
    const { assignment } = reattachResponseSchema.parse(res.body);
    expect(assignment.forge).toEqual({ apiBaseUrl: claimed.forge.apiBaseUrl, token: expect.any(String) });
    expect(assignment.forge!.token).not.toBe(claimed.forge.token);

    const asAttempt = (token: string) =>
      new Octokit({ log: quiet, baseUrl: assignment.forge!.apiBaseUrl, auth: token });
    const fresh = await asAttempt(assignment.forge!.token).rest.repos.get({ owner: 'local', repo: 'work' });
    expect(fresh.status).toBe(200);
    await expect(
      asAttempt(claimed.forge.token).rest.repos.get({ owner: 'local', repo: 'work' }),
    ).rejects.toMatchObject({
      status: 401,
    });
  });
});
