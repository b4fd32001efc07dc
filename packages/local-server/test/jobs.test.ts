import { jobListSchema, jobResponseSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../src/index.js';
import { apiFor, jobSubmission, startServer, submit } from './helpers.js';

describe('job submission', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    ['a missing title', { title: undefined }, 'title'],
    ['a blank title', { title: '   ' }, 'title'],
    ['a bad context type', { context: { type: 'cloud' } }, 'context.type'],
    [
      'a file: clone URL',
      { context: { type: 'repository', repository: { cloneUrl: 'file:///etc', owner: 'o', name: 'r' } } },
      'context.repository.cloneUrl',
    ],
    [
      'a clone URL with credentials',
      {
        context: {
          type: 'repository',
          repository: { cloneUrl: 'https://u:p@example.com/o/r.git', owner: 'o', name: 'r' },
        },
      },
      'context.repository.cloneUrl',
    ],
    ['a demo agent without a plan', { agent: { id: 'demo' } }, 'agent.plan'],
    ['an unknown agent', { agent: { id: 'clippy' } }, 'agent.id'],
    ['too many attempts', { maxAttempts: 99 }, 'maxAttempts'],
  ];
  for (const [name, change, path] of bad) {
    it(`rejects ${name} naming ${path}, storing nothing`, async () => {
      const { api } = await startServer();
      const res = await api('POST', '/v1/workspaces/local/jobs', { ...jobSubmission(), ...change });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('request.invalid');
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
      expect(jobListSchema.parse((await api('GET', '/v1/jobs')).body).jobs).toEqual([]);
    });
  }

  it('answers thousands of bad fields with a short message and at most 100 issues', async () => {
    const { api } = await startServer();
    const res = await api('POST', '/v1/jobs/ready', { jobIds: Array.from({ length: 2000 }, () => null) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('request.invalid');
    expect(res.body.error.issues).toHaveLength(100);
    expect(res.body.error.message).toMatch(
      /^Invalid request body: jobIds\.0: .*; jobIds\.4: [^;]*; and 1995 more$/,
    );
  });

  it('stores a valid job as Ready with readyAt, and lists and gets it', async () => {
    const { api } = await startServer();
    const res = await api('POST', '/v1/workspaces/local/jobs', jobSubmission({ title: '  Trim me ' }));
    expect(res.status).toBe(201);
    const { job } = jobResponseSchema.parse(res.body);
    expect(job).toMatchObject({ status: 'ready', workspaceId: 'local', submittedBy: 'local', attempts: [] });
    expect(job.spec).toMatchObject({ title: 'Trim me', routing: { mode: 'mine' }, maxAttempts: 3 });
    expect(job.readyAt).not.toBeNull();
    const backlog = await submit(api, { status: 'backlog' });
    expect((await api('GET', `/v1/jobs/${backlog}`)).body.job.readyAt).toBeNull();
    expect((await api('GET', '/v1/jobs?status=ready')).body.jobs.map((j: { id: string }) => j.id)).toEqual([
      job.id,
    ]);
    expect((await api('GET', '/v1/jobs?status=bogus')).status).toBe(400);
    expect((await api('GET', '/v1/jobs/job_missing')).status).toBe(404);
  });

  it('refuses workspaces the account is not a member of, and hides other workspaces', async () => {
    const { server, api } = await startServer();
    const other = createAccount(server.store, { name: 'other', workspaces: ['elsewhere'] });
    const otherApi = apiFor(server, other.token);
    expect((await otherApi('POST', '/v1/workspaces/local/jobs', jobSubmission())).status).toBe(404);
    const id = await submit(api);
    expect((await otherApi('GET', `/v1/jobs/${id}`)).status).toBe(404);
    expect((await otherApi('GET', '/v1/jobs')).body.jobs).toEqual([]);
  });

  it('makes Backlog jobs Ready, one or many at once with one readyAt, and refuses any other state', async () => {
    const { server, api } = await startServer();
    const one = await submit(api, { status: 'backlog' });
    const res = await api('POST', `/v1/jobs/${one}/ready`);
    expect(res.status).toBe(200);
    expect(res.body.job).toMatchObject({ id: one, status: 'ready' });
    expect(res.body.job.readyAt).not.toBeNull();
    expect((await api('POST', `/v1/jobs/${one}/ready`)).body.error.code).toBe('job.invalid_state');

    const many = [await submit(api, { status: 'backlog' }), await submit(api, { status: 'backlog' })];
    const both = await api('POST', '/v1/jobs/ready', { jobIds: many });
    expect(both.status).toBe(200);
    expect(both.body.jobs.map((j: { status: string }) => j.status)).toEqual(['ready', 'ready']);
    expect(new Set(both.body.jobs.map((j: { readyAt: string }) => j.readyAt)).size).toBe(1);

    // All or nothing: one job that is not in Backlog leaves the others where they were.
    const waiting = await submit(api, { status: 'backlog' });
    const mixed = await api('POST', '/v1/jobs/ready', { jobIds: [waiting, one] });
    expect(mixed.status).toBe(409);
    expect((await api('GET', `/v1/jobs/${waiting}`)).body.job.status).toBe('backlog');
    expect((await api('POST', '/v1/jobs/ready', { jobIds: [] })).status).toBe(400);
    const other = createAccount(server.store, { name: 'other', workspaces: ['elsewhere'] });
    expect((await apiFor(server, other.token)('POST', `/v1/jobs/${waiting}/ready`)).status).toBe(404);
  });

  it('cancels a Ready job at once and refuses to stop a job that is not running', async () => {
    const { api } = await startServer();
    const id = await submit(api);
    expect((await api('POST', `/v1/jobs/${id}/stop`)).body.error.code).toBe('job.invalid_state');
    const res = await api('POST', `/v1/jobs/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.job.status).toBe('cancelled');
  });

  it('cancelling an already cancelled job answered 200 where docs/protocol.md says 409', async () => {
    const { api } = await startServer();
    const id = await submit(api);
    expect((await api('POST', `/v1/jobs/${id}/cancel`)).status).toBe(200);
    const again = await api('POST', `/v1/jobs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('job.invalid_state');
    expect(again.body.error.message).toMatch(/cancelled and cannot be cancelled/);
  });
});
