import { leaseRenewResponseSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { sweepExpiredLeases } from '../src/index.js';
import { startLocalServer } from '../src/server.js';
import { apiFor, claimNow, register, startServer, submit, waitFor } from './helpers.js';

describe('leases', () => {
  it('renews the holder and answers 409 lease.lost to anyone else', async () => {
    const { api } = await startServer();
    const runner = await register(api);
    const other = await register(api, { machineId: 'machine-other' });
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const renewed = await api(
      'POST',
      `/v1/attempts/${attempt.id}/lease`,
      { state: 'running' },
      { runnerId: runner },
    );
    expect(renewed.status).toBe(200);
    const body = leaseRenewResponseSchema.parse(renewed.body);
    expect(Date.parse(body.leaseExpiresAt)).toBeGreaterThanOrEqual(Date.parse(attempt.leaseExpiresAt));
    expect(body.controls).toEqual([]);
    const stolen = await api(
      'POST',
      `/v1/attempts/${attempt.id}/lease`,
      { state: 'running' },
      { runnerId: other },
    );
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('lease.lost');
    const noHeader = await api('POST', `/v1/attempts/${attempt.id}/lease`, { state: 'running' });
    expect(noHeader.status).toBe(400);
    expect(noHeader.body.error.issues[0].path).toBe('Coord-Runner-Id');
    expect(
      (await api('POST', '/v1/attempts/att_nope/lease', { state: 'x' }, { runnerId: runner })).status,
    ).toBe(404);
  });

  it('expiry requeues as attempt 2 with the previous session id, and answers 409 to the old holder', async () => {
    // No affinity window here: the lost runner's claim on the job is the next test's subject.
    const { server, api } = await startServer({ leaseTtlMs: 400, sweepIntervalMs: 20, affinityMs: 1 });
    const first = await register(api, { machineId: 'machine-first' });
    const second = await register(api, { machineId: 'machine-second' });
    const jobId = await submit(api);
    const { attempt } = await claimNow(api, first);
    // The session id arrives as an agent event (as the runner sends it) before the runner dies.
    await api(
      'POST',
      `/v1/attempts/${attempt.id}/events`,
      {
        events: [
          {
            seq: 1,
            at: new Date().toISOString(),
            type: 'job.agent',
            data: { event: { type: 'session.started', sessionId: 'sess-1', resumed: false } },
          },
        ],
      },
      { runnerId: first },
    );
    await waitFor(
      async () => (await api('GET', `/v1/jobs/${jobId}`)).body.job.status === 'ready',
      'the requeue',
    );
    const job = (await api('GET', `/v1/jobs/${jobId}`)).body.job;
    expect(job.attempts[0]).toMatchObject({ status: 'lost', sessionId: 'sess-1' });
    const next = await claimNow(api, second);
    expect(next.attempt).toMatchObject({ number: 2, previousSessionId: 'sess-1', jobId });
    // The next attempt's prompt learns what happened to the first.
    expect(next.attempt.earlier).toEqual([
      { number: 1, status: 'lost', summary: null, error: null, feedback: null },
    ]);
    const late = await api(
      'POST',
      `/v1/attempts/${attempt.id}/lease`,
      { state: 'running' },
      { runnerId: first },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('lease.lost');
    const lateEvents = await api(
      'POST',
      `/v1/attempts/${attempt.id}/events`,
      { events: [{ seq: 2, at: new Date().toISOString(), type: 'x', data: {} }] },
      { runnerId: first },
    );
    expect(lateEvents.status).toBe(409);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a runner signing off requeues at once a claim it never read, and nothing it holds', async () => {
    const { api } = await startServer({ affinityMs: 60_000 });
    const runner = await register(api, { name: 'laptop', capacity: 3 });
    const other = await register(api, { machineId: 'machine-other', name: 'desk' });
    const heldJob = await submit(api, { title: 'held' });
    const unreadJob = await submit(api, { title: 'unread' });
    const forgottenJob = await submit(api, { title: 'one the runner lost track of' });
    const held = (await claimNow(api, runner)).attempt;
    const unread = (await claimNow(api, runner)).attempt;
    const forgotten = (await claimNow(api, runner)).attempt;
    const events = [
      { seq: 1, at: new Date().toISOString(), type: 'job.claimed', data: { attemptNumber: 1 } },
    ];
    for (const attempt of [held, forgotten]) {
      expect(
        (await api('POST', `/v1/attempts/${attempt.id}/events`, { events }, { runnerId: runner })).status,
      ).toBe(200);
    }
    // Left out of the list, yet it sent events: a runner that lost its spool. The lease decides.
    const signedOff = await api(
      'POST',
      `/v1/runners/${runner}/presence`,
      { presence: 'offline', holding: [held.id] },
      { runnerId: runner },
    );
    expect(signedOff.body).toEqual({ presence: 'offline', released: 1 });

    const job = (id: string) => api('GET', `/v1/jobs/${id}`).then((res) => res.body.job);
    expect((await job(heldJob)).status).toBe('in_progress');
    expect((await job(forgottenJob)).status).toBe('in_progress');
    const requeued = await job(unreadJob);
    expect(requeued.status).toBe('ready');
    expect(requeued.attempts[0]).toMatchObject({
      id: unread.id,
      status: 'stopped',
      error: { code: 'runner.stopped', retryable: true },
    });
    // Not held for the runner that is gone: the next runner takes it now, as attempt 2.
    const next = await claimNow(api, other);
    expect(next.attempt).toMatchObject({ jobId: unreadJob, number: 2 });
    // The runner that never read it cannot use it.
    const late = await api(
      'POST',
      `/v1/attempts/${unread.id}/lease`,
      { state: 'running' },
      { runnerId: runner },
    );
    expect(late.body.error.code).toBe('lease.lost');
  });

  it('releases nothing for a sign-off without a list, or a drain', async () => {
    const { api } = await startServer();
    const runner = await register(api);
    const jobId = await submit(api);
    await claimNow(api, runner);
    for (const body of [{ presence: 'offline' }, { presence: 'draining', holding: [] }]) {
      const res = await api('POST', `/v1/runners/${runner}/presence`, body, { runnerId: runner });
      expect(res.body).toEqual({ presence: body.presence });
    }
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('in_progress');
  });

  it('offers a job whose runner was lost to that runner first, then to any once the window passes', async () => {
    const { api } = await startServer({
      leaseTtlMs: 300,
      sweepIntervalMs: 20,
      affinityMs: 1_000,
      claimWaitMs: 5_000,
    });
    const lost = await register(api, { machineId: 'machine-lost', name: 'lost-one' });
    const other = await register(api, { machineId: 'machine-other', name: 'other-one' });
    const held = await submit(api);
    await claimNow(api, lost);
    // The lost runner never renews: the sweep expires its lease and holds the job for it.
    const view = await waitFor(async () => {
      const job = (await api('GET', `/v1/jobs/${held}`)).body.job;
      return job.status === 'ready' ? job : null;
    }, 'the requeue');
    expect(view.waiting.code).toBe('affinity');
    expect(view.waiting.message).toContain('"lost-one"');
    // Meanwhile another runner takes other work, never the held job.
    const fresh = await submit(api);
    expect((await claimNow(api, other)).job.id).toBe(fresh);
    await api(
      'POST',
      `/v1/attempts/${(await api('GET', `/v1/jobs/${fresh}`)).body.job.attempts[0].id}/complete`,
      { outcome: 'succeeded', lastSeq: 0 },
      { runnerId: other },
    );
    expect(await claimNow(api, other)).toBeNull();

    // A runner parked in a claim wait is woken when the window ends, and takes the job.
    const parkedAt = Date.now();
    const parked = await api('POST', `/v1/runners/${other}/claim`, { waitMs: 20_000 }, { runnerId: other });
    expect(parked.body.assignment?.job.id).toBe(held);
    // Woken by the window's end (1 s), not by the end of its wait.
    expect(Date.now() - parkedAt).toBeLessThan(10_000);
    expect(
      (await api('GET', `/v1/jobs/${held}`)).body.job.attempts.map((a: { number: number }) => a.number),
    ).toEqual([1, 2]);
  });

  it('holds no window for a runner that said it drains or stopped: it will not come back for the job', async () => {
    const { server, api } = await startServer({ sweepIntervalMs: 60_000, affinityMs: 60_000 });
    const other = await register(api, { machineId: 'machine-other', name: 'other-one' });
    for (const presence of ['draining', 'offline'] as const) {
      const leaving = await register(api, { machineId: `machine-${presence}`, name: presence });
      const jobId = await submit(api);
      await claimNow(api, leaving);
      await api('POST', `/v1/runners/${leaving}/presence`, { presence }, { runnerId: leaving });
      sweepExpiredLeases(server.store, Date.now() + 120_000);
      const job = (await api('GET', `/v1/jobs/${jobId}`)).body.job;
      expect(job.status).toBe('ready');
      expect(job.waiting.code).not.toBe('affinity');
      const next = await claimNow(api, other);
      expect(next.job.id).toBe(jobId);
      await api(
        'POST',
        `/v1/attempts/${next.attempt.id}/complete`,
        { outcome: 'succeeded', lastSeq: 0 },
        { runnerId: other },
      );
    }
  });

  it('the lost runner, back in its window, takes its own job before older ones', async () => {
    const { server, api } = await startServer({ sweepIntervalMs: 60_000, affinityMs: 60_000 });
    const lost = await register(api, { machineId: 'machine-lost', name: 'lost-one', capacity: 2 });
    const mine = await submit(api);
    await claimNow(api, lost);
    sweepExpiredLeases(server.store, Date.now() + 120_000);
    // Older work for everyone is in line too; the held job still comes first for its runner.
    const older = await submit(api);
    await api('POST', `/v1/jobs/${older}/cancel`);
    const queued = await submit(api);
    expect((await claimNow(api, lost)).attempt).toMatchObject({ jobId: mine, number: 2 });
    expect((await claimNow(api, lost)).job.id).toBe(queued);
  });

  it('does not hold its own downtime against a lease: a restart gives active leases a full TTL', async () => {
    // No sweeps while up: the lease runs out only while the server is down.
    const { server, api, dir } = await startServer({ leaseTtlMs: 300, sweepIntervalMs: 60_000 });
    const runner = await register(api);
    const jobId = await submit(api);
    const { attempt } = await claimNow(api, runner);
    await server.close();
    await new Promise((resolve) => setTimeout(resolve, 600));

    const again = await startLocalServer({ dataDir: dir, timings: { leaseTtlMs: 300, sweepIntervalMs: 20 } });
    try {
      const api2 = apiFor(again);
      expect((await api2('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('in_progress');
      const renewed = await api2(
        'POST',
        `/v1/attempts/${attempt.id}/lease`,
        { state: 'running' },
        { runnerId: runner },
      );
      expect(renewed.status).toBe(200);
      // A runner that does not come back is still noticed, one TTL after the restart.
      await waitFor(
        async () => (await api2('GET', `/v1/jobs/${jobId}`)).body.job.status === 'ready',
        'the requeue',
      );
    } finally {
      await again.close();
    }
  });

  it('fails the job once maxAttempts is spent', async () => {
    const { server, api } = await startServer({ leaseTtlMs: 50, sweepIntervalMs: 60_000 });
    const runner = await register(api);
    const jobId = await submit(api, { maxAttempts: 2 });
    for (let n = 1; n <= 2; n++) {
      const assignment = await claimNow(api, runner);
      expect(assignment.attempt.number).toBe(n);
      // Sweep by hand with a clock past the TTL: deterministic, no waiting.
      expect(sweepExpiredLeases(server.store, Date.now() + 1_000)).toBe(1);
    }
    const job = (await api('GET', `/v1/jobs/${jobId}`)).body.job;
    expect(job.status).toBe('failed');
    expect(job.attempts.map((a: { status: string }) => a.status)).toEqual(['lost', 'lost']);
    expect(await claimNow(api, runner)).toBeNull();
  });

  it('delivers cancel and stop requests with the renewal', async () => {
    const { api } = await startServer();
    const runner = await register(api, { capacity: 2 });
    const cancelMe = await submit(api);
    const stopMe = await submit(api);
    const a = await claimNow(api, runner);
    const b = await claimNow(api, runner);
    expect((await api('POST', `/v1/jobs/${cancelMe}/cancel`, { reason: 'not needed' })).body.job.status).toBe(
      'in_progress',
    );
    expect((await api('POST', `/v1/jobs/${stopMe}/stop`, { graceMs: 500 })).status).toBe(200);
    const ra = await api(
      'POST',
      `/v1/attempts/${a.attempt.id}/lease`,
      { state: 'running' },
      { runnerId: runner },
    );
    expect(ra.body.controls).toEqual([{ type: 'cancel', reason: 'not needed' }]);
    const rb = await api(
      'POST',
      `/v1/attempts/${b.attempt.id}/lease`,
      { state: 'running' },
      { runnerId: runner },
    );
    expect(rb.body.controls).toEqual([{ type: 'stop', graceMs: 500 }]);
    // The runner honours them: cancelled ends the job, stopped requeues it.
    const ca = await api(
      'POST',
      `/v1/attempts/${a.attempt.id}/complete`,
      { outcome: 'cancelled', lastSeq: 0 },
      { runnerId: runner },
    );
    expect(ca.body.job.status).toBe('cancelled');
    const cb = await api(
      'POST',
      `/v1/attempts/${b.attempt.id}/complete`,
      { outcome: 'stopped', lastSeq: 0, sessionId: 'sess-stop' },
      { runnerId: runner },
    );
    expect(cb.body.job.status).toBe('ready');
    const again = await claimNow(api, runner);
    expect(again.attempt).toMatchObject({ jobId: stopMe, number: 2, previousSessionId: 'sess-stop' });
  });

  it('a cancelled job whose runner vanished ends cancelled rather than requeued', async () => {
    const { server, api } = await startServer({ sweepIntervalMs: 60_000 });
    const runner = await register(api);
    const jobId = await submit(api);
    await claimNow(api, runner);
    await api('POST', `/v1/jobs/${jobId}/cancel`);
    sweepExpiredLeases(server.store, Date.now() + 120_000);
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('cancelled');
  });
});
