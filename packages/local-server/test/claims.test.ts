import { assignmentSchema, claimResponseSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { addMember, createAccount, insertRawJob } from '../src/index.js';
import { apiFor, claimNow, register, startServer, submit, waitFor } from './helpers.js';

describe('claims', () => {
  it('a long poll returns null after waitMs', async () => {
    const { api } = await startServer();
    const runner = await register(api);
    const started = Date.now();
    const res = await api('POST', `/v1/runners/${runner}/claim`, { waitMs: 150 });
    expect(res.status).toBe(200);
    expect(claimResponseSchema.parse(res.body).assignment).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('caps the wait at claimWaitMs', async () => {
    const { api } = await startServer({ claimWaitMs: 100 });
    const runner = await register(api);
    const started = Date.now();
    expect((await api('POST', `/v1/runners/${runner}/claim`, { waitMs: 60_000 })).body.assignment).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a parked claim gets a job submitted while it waits, promptly', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const pending = api('POST', `/v1/runners/${runner}/claim`, { waitMs: 10_000 });
    // Wait until the server holds the long poll (no sleeps: ask the server how many are parked).
    await waitFor(() => parkedCount(server) === 1, 'the claim to park');
    const submitted = Date.now();
    const jobId = await submit(api);
    const res = await pending;
    expect(Date.now() - submitted).toBeLessThan(1_000);
    const assignment = assignmentSchema.parse(res.body.assignment);
    expect(assignment.job.id).toBe(jobId);
    expect(assignment.attempt).toMatchObject({
      number: 1,
      previousSessionId: null,
      branch: null,
      workspaceId: 'local',
      earlier: [],
    });
    expect(assignment.forge).toBeNull();
    const job = (await api('GET', `/v1/jobs/${jobId}`)).body.job;
    expect(job.status).toBe('in_progress');
    expect(job.attempts[0]).toMatchObject({ status: 'active', runnerId: runner, runnerName: 'runner-a' });
    expect(Date.parse(job.attempts[0].startedAt)).toBeGreaterThanOrEqual(Date.parse(job.readyAt));
  });

  it('a client that disconnects leaves the queue and claims nothing', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/runners/${runner}/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ waitMs: 10_000 }),
      signal: controller.signal,
    }).catch(() => 'aborted');
    await waitFor(() => parkedCount(server) === 1, 'the claim to park');
    controller.abort();
    expect(await pending).toBe('aborted');
    await waitFor(() => parkedCount(server) === 0, 'the park to be cancelled');
    const jobId = await submit(api);
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('ready');
  });

  it('routes mine / team / any / runner-by-name', async () => {
    const { server, api } = await startServer();
    const bob = createAccount(server.store, { name: 'bob', workspaces: ['local'] });
    const carol = createAccount(server.store, { name: 'carol', workspaces: ['carol-ws'] });
    const bobApi = apiFor(server, bob.token);
    const carolApi = apiFor(server, carol.token);
    const mineRunner = await register(api, { machineId: 'machine-local' });
    const bobRunner = await register(bobApi, { machineId: 'machine-bob0', name: 'bobs-box' });
    const carolRunner = await register(carolApi, { machineId: 'machine-carol' });

    // mine: only the submitter's runners.
    const mine = await submit(api, { routing: { mode: 'mine' } });
    expect(await claimNow(bobApi, bobRunner)).toBeNull();
    expect(await claimNow(carolApi, carolRunner)).toBeNull();
    expect((await claimNow(api, mineRunner)).job.id).toBe(mine);

    // team: any member of the workspace, not outsiders.
    const team = await submit(api, { routing: { mode: 'team' } });
    expect(await claimNow(carolApi, carolRunner)).toBeNull();
    expect((await claimNow(bobApi, bobRunner)).job.id).toBe(team);

    // runner: by name only.
    const named = await submit(api, { routing: { mode: 'runner', runnerName: 'bobs-box' } });
    const spare = await register(api, { machineId: 'machine-spare', name: 'spare' });
    expect(await claimNow(api, spare)).toBeNull();
    const bobSecond = await register(bobApi, { machineId: 'machine-bob0', name: 'bobs-box', capacity: 2 });
    expect((await claimNow(bobApi, bobSecond)).job.id).toBe(named);

    // any: even a runner of an account outside the workspace.
    const any = await submit(api, { routing: { mode: 'any' } });
    expect((await claimNow(carolApi, carolRunner)).job.id).toBe(any);
  });

  it('needs the job agent detected and enabled on the runner', async () => {
    const { api } = await startServer();
    const disabled = await register(api, {
      machineId: 'machine-dis',
      agents: [{ id: 'demo', state: 'detected', version: '1', enabled: false }],
    });
    const missing = await register(api, {
      machineId: 'machine-mis',
      agents: [{ id: 'demo', state: 'not_found', version: null, enabled: true }],
    });
    const codex = await register(api, {
      machineId: 'machine-cod',
      agents: [{ id: 'codex', state: 'detected', version: '1', enabled: true }],
    });
    const ok = await register(api, { machineId: 'machine-ok1' });
    const id = await submit(api);
    expect(await claimNow(api, disabled)).toBeNull();
    expect(await claimNow(api, missing)).toBeNull();
    expect(await claimNow(api, codex)).toBeNull();
    expect((await claimNow(api, ok)).job.id).toBe(id);
  });

  it('asks for only the agents a claim names (a runner with an agent at its own limit)', async () => {
    const { api } = await startServer();
    const runner = await register(api, {
      agents: [
        { id: 'demo', state: 'detected', version: '1', enabled: true },
        { id: 'codex', state: 'detected', version: '1', enabled: true },
      ],
    });
    const demoJob = await submit(api);
    const only = (agents: string[]) =>
      api('POST', `/v1/runners/${runner}/claim`, { waitMs: 0, agents }).then((r) => r.body.assignment);
    expect(await only(['codex'])).toBeNull();
    // Naming an agent the runner did not register enabled does not make it eligible.
    const other = await register(api, { machineId: 'machine-oth' });
    expect(
      (await api('POST', `/v1/runners/${other}/claim`, { waitMs: 0, agents: ['codex'] })).body.assignment,
    ).toBeNull();
    expect((await only(['demo', 'codex'])).job.id).toBe(demoJob);
    const bad = await api('POST', `/v1/runners/${runner}/claim`, { waitMs: 0, agents: ['rm -rf'] });
    expect(bad.status).toBe(400);
  });

  it('does not count attempts that lent their slot (waiting on a lock) against capacity', async () => {
    const { api } = await startServer();
    const runner = await register(api, { capacity: 1 });
    await submit(api);
    await submit(api);
    const first = await claimNow(api, runner);
    const claim = (waitingAttemptIds: string[]) =>
      api('POST', `/v1/runners/${runner}/claim`, { waitMs: 0, waitingAttemptIds }).then(
        (r) => r.body.assignment,
      );
    // Ids that are not this runner's active attempts lend nothing.
    expect(await claim(['att_nope'])).toBeNull();
    expect(await claimNow(api, runner)).toBeNull();
    expect((await claim([first.attempt.id])).attempt.number).toBe(1);
  });

  it('respects capacity (active attempts on the server)', async () => {
    const { api } = await startServer();
    const runner = await register(api, { capacity: 2 });
    const ids = [await submit(api), await submit(api), await submit(api)];
    const a = await claimNow(api, runner);
    const b = await claimNow(api, runner);
    expect([a.job.id, b.job.id]).toEqual(ids.slice(0, 2)); // oldest first
    expect(await claimNow(api, runner)).toBeNull();
    await api(
      'POST',
      `/v1/attempts/${a.attempt.id}/complete`,
      { outcome: 'succeeded', lastSeq: 0 },
      { runnerId: runner },
    );
    expect((await claimNow(api, runner)).job.id).toBe(ids[2]);
  });

  it('a claim retried with its key gets the attempt whose answer was lost, once, at any capacity', async () => {
    const { api } = await startServer();
    const runner = await register(api, { capacity: 1 });
    const other = await register(api, { machineId: 'machine-other' });
    const first = await submit(api);
    const second = await submit(api);
    const claim = (runnerId: string, claimKey?: string) =>
      api('POST', `/v1/runners/${runnerId}/claim`, { waitMs: 0, ...(claimKey ? { claimKey } : {}) }).then(
        (r) => {
          if (r.status !== 200) throw new Error(`claim failed: ${r.status} ${JSON.stringify(r.body)}`);
          return r.body.assignment;
        },
      );
    const key = 'claim-key-0123456789';
    const lost = await claim(runner, key);
    expect(lost.job.id).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // The runner never saw that answer, and asks again: the same attempt, its lease renewed,
    // although the runner is at its capacity of one.
    const again = await claim(runner, key);
    expect(again).toEqual({ ...lost, attempt: { ...lost.attempt, leaseExpiresAt: expect.any(String) } });
    expect(Date.parse(again.attempt.leaseExpiresAt)).toBeGreaterThan(Date.parse(lost.attempt.leaseExpiresAt));
    // Another runner's claim with that key is only a claim; this runner without it is full.
    expect((await claim(other, key)).job.id).toBe(second);
    expect(await claim(runner)).toBeNull();
    expect(await claim(runner, 'another-key-0123456789')).toBeNull();
    const job = (await api('GET', `/v1/jobs/${first}`)).body.job;
    expect(job.attempts).toEqual([expect.objectContaining({ id: lost.attempt.id, status: 'active' })]);

    // Once the attempt is over, its key makes nothing come back.
    const done = await api(
      'POST',
      `/v1/attempts/${lost.attempt.id}/complete`,
      { outcome: 'succeeded', lastSeq: 0 },
      { runnerId: runner },
    );
    expect(done.status).toBe(200);
    expect(await claim(runner, key)).toBeNull();
  });

  it('a retried claim that no longer asks for the lost answer’s agent gives that job back', async () => {
    const { api } = await startServer();
    const agents = (['demo', 'codex'] as const).map((id) => ({
      id,
      state: 'detected' as const,
      version: '1',
      enabled: true,
    }));
    const runner = await register(api, { capacity: 2, agents });
    const other = await register(api, { machineId: 'machine-other', agents });
    const codexJob = await submit(api, { agent: { id: 'codex' } });
    const demoJob = await submit(api);
    const claim = (runnerId: string, body: object) =>
      api('POST', `/v1/runners/${runnerId}/claim`, { waitMs: 0, ...body }).then((r) => {
        if (r.status !== 200) throw new Error(`claim failed: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body.assignment;
      });
    const key = 'claim-key-0123456789';
    const lost = await claim(runner, { claimKey: key, agents: ['demo', 'codex'] });
    expect(lost.job.id).toBe(codexJob);
    // Meanwhile codex reached its limit on this runner: the retry asks for demo only. It is not
    // handed the codex job over that limit; it gets a demo job, and the codex job is Ready again.
    const retry = await claim(runner, { claimKey: key, agents: ['demo'] });
    expect(retry.job.id).toBe(demoJob);
    const back = (await api('GET', `/v1/jobs/${codexJob}`)).body.job;
    expect(back.status).toBe('ready');
    expect(back.attempts).toEqual([
      expect.objectContaining({
        id: lost.attempt.id,
        status: 'stopped',
        error: expect.objectContaining({ code: 'runner.stopped', retryable: true }),
      }),
    ]);
    // Not held against its retries, and anyone may take it.
    const next = await claim(other, {});
    expect(next.job.id).toBe(codexJob);
    expect(next.attempt.number).toBe(2);
  });

  it('a retry replaces the claim it retries while that one is still parked (a silently dropped connection)', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const other = await register(api, { machineId: 'machine-other' });
    const claimKey = 'parked-key-0123456789';
    const claim = (runnerId: string) =>
      api('POST', `/v1/runners/${runnerId}/claim`, { waitMs: 10_000, claimKey });
    // The other runner's claim with the same key is another claim: it stays parked.
    const others = claim(other);
    const dropped = claim(runner);
    await waitFor(() => parkedCount(server) === 2, 'both claims to park');
    const started = Date.now();
    const retry = claim(runner);
    // The parked one is answered at once, with nothing: its client gave up on it.
    expect((await dropped).body).toEqual({ assignment: null });
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitFor(() => parkedCount(server) === 2, 'the retry to park in its place');
    const first = await submit(api);
    const second = await submit(api);
    const [mine, theirs] = await Promise.all([retry, others]);
    // In arrival order: the other runner parked first.
    expect(theirs.body.assignment.job.id).toBe(first);
    expect(mine.body.assignment.job.id).toBe(second);
  });

  it('refuses a claim key that is not 16 to 64 letters, digits, _ or -', async () => {
    const { api } = await startServer();
    const runner = await register(api);
    for (const claimKey of ['short', 'x'.repeat(65), 'has spaces in it 0123', 'ünïcödé-0123456789', 42]) {
      const res = await api('POST', `/v1/runners/${runner}/claim`, { waitMs: 0, claimKey });
      expect(res.status, JSON.stringify(claimKey)).toBe(400);
      expect(res.body.error.message).toContain('claimKey');
    }
  });

  it('never hands one job to two runners, over many concurrent claims', async () => {
    const { api } = await startServer();
    const runners = await Promise.all(
      Array.from({ length: 4 }, (_, i) => register(api, { machineId: `machine-race-${i}`, capacity: 64 })),
    );
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(await submit(api, { routing: { mode: 'any' } }));
    const claims = await Promise.all(
      Array.from({ length: 80 }, (_, i) => claimNow(api, runners[i % runners.length]!)),
    );
    const got = claims.filter((c) => c !== null).map((c) => c.job.id as string);
    expect(got).toHaveLength(50);
    expect(new Set(got)).toEqual(ids);
    const jobs = (await api('GET', '/v1/jobs')).body.jobs;
    expect(jobs.every((j: { attempts: unknown[] }) => j.attempts.length === 1)).toBe(true);
  });

  it('wakes parked claims for a flood of jobs without double claims', async () => {
    const { server, api } = await startServer();
    const runners = await Promise.all(
      Array.from({ length: 4 }, (_, i) => register(api, { machineId: `machine-park-${i}` })),
    );
    const parked = runners.map((r) => api('POST', `/v1/runners/${r}/claim`, { waitMs: 5_000 }));
    await waitFor(() => parkedCount(server) === 4, 'four parked claims');
    await Promise.all(Array.from({ length: 6 }, () => submit(api)));
    const results = await Promise.all(parked);
    const ids = results.map((r) => r.body.assignment.job.id);
    expect(new Set(ids).size).toBe(4);
  });

  it('hands out a raw job spec as is, so a runner can fail what it cannot parse', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const jobId = insertRawJob(server.store, { spec: { title: 42, agent: { id: 'demo' } }, agentId: 'demo' });
    const assignment = await claimNow(api, runner);
    expect(assignment.job).toEqual({
      id: jobId,
      spec: { title: 42, agent: { id: 'demo' } },
      webUrl: `${server.url}/jobs/${jobId}`,
    });
    expect(assignmentSchema.safeParse(assignment).success).toBe(false);
    const done = await api(
      'POST',
      `/v1/attempts/${assignment.attempt.id}/complete`,
      {
        outcome: 'failed',
        lastSeq: 0,
        error: { code: 'job.invalid', message: 'bad spec', retryable: false },
      },
      { runnerId: runner },
    );
    expect(done.body.job.status).toBe('failed');
  });

  it('refuses claims for runners of other accounts', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const other = createAccount(server.store, { name: 'mallory' });
    addMember(server.store, 'local', other.id);
    const res = await apiFor(server, other.token)('POST', `/v1/runners/${runner}/claim`, { waitMs: 0 });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('runner.not_found');
  });
});

function parkedCount(server: { parkedClaims(): number }): number {
  return server.parkedClaims();
}
