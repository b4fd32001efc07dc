import { describe, expect, it } from 'vitest';
import { createAccount } from '../src/index.js';
import { apiFor, claimNow, register, startServer, submit, type Api } from './helpers.js';

/** A job submitted now waits for the runner "laptop", offline; after a claim of it, not. */
async function expectOfflineUntilItCalls(api: Api, runnerId: string): Promise<void> {
  const jobId = await submit(api);
  const waiting = (await api('GET', `/v1/jobs/${jobId}`)).body.job.waiting;
  expect(waiting.code).toBe('runner_offline');
  expect(waiting.message).toContain('"laptop"');
  // A claim is a sign of life.
  await api('POST', `/v1/runners/${runnerId}/claim`, { waitMs: 0 });
  const second = await submit(api);
  expect((await api('GET', `/v1/jobs/${second}`)).body.job.waiting.code).not.toBe('runner_offline');
}

/** "Why isn't my job running?": GET /v1/jobs/:id of a Ready job says, as its submitter sees it. */
describe('a Ready job says why it waits', () => {
  it('no runner registered for its routing', async () => {
    const { api } = await startServer();
    const jobId = await submit(api, { routing: { mode: 'mine' } });
    const { body } = await api('GET', `/v1/jobs/${jobId}`);
    expect(body.job.waiting.code).toBe('no_runner');
    expect(body.job.waiting.message).toContain("the submitter's own runners");
  });

  it("another account's runner does not count for a job routed to mine, and is never named", async () => {
    const { server, api } = await startServer();
    const bob = createAccount(server.store, { name: 'bob', workspaces: ['local'] });
    await register(apiFor(server, bob.token), { name: 'bobs-laptop' });
    const mine = await submit(api, { routing: { mode: 'mine' } });
    expect((await api('GET', `/v1/jobs/${mine}`)).body.job.waiting.code).toBe('no_runner');

    const team = await submit(api, { routing: { mode: 'team' } });
    const waiting = (await api('GET', `/v1/jobs/${team}`)).body.job.waiting;
    expect(waiting.code).toBe('queued');
    expect(waiting.message).toContain('1 other runner');
    expect(waiting.message).not.toContain('bobs-laptop');
  });

  it('its agent is not found on the runner, with the runner name and the install hint', async () => {
    const { api } = await startServer();
    await register(api, {
      name: 'laptop',
      agents: [
        { id: 'demo', state: 'detected', version: '1', enabled: true },
        {
          id: 'claude-code',
          state: 'not_found',
          version: null,
          enabled: false,
          hint: 'npm install -g @anthropic-ai/claude-code',
        },
      ],
    });
    const jobId = await submit(api, { agent: { id: 'claude-code' } });
    const waiting = (await api('GET', `/v1/jobs/${jobId}`)).body.job.waiting;
    expect(waiting.code).toBe('agent_unavailable');
    expect(waiting.message).toContain('"laptop": not found (npm install -g @anthropic-ai/claude-code)');
  });

  it('the only runner has not called for a while: offline', async () => {
    const { server, api } = await startServer();
    const runnerId = await register(api, { name: 'laptop' });
    server.store.db
      .prepare('UPDATE runners SET last_seen_at = ? WHERE id = ?')
      .run(Date.now() - 600_000, runnerId);
    await expectOfflineUntilItCalls(api, runnerId);
  });

  it('the only runner signed off as it stopped: offline at once, until it calls again', async () => {
    const { server, api } = await startServer();
    const runnerId = await register(api, { name: 'laptop' });
    // As a stop goes: the parked claim is given up, the runner signs off. The claim ending then
    // is no sign of life.
    const gone = new AbortController();
    const parked = fetch(`${server.url}/v1/runners/${runnerId}/claim`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.token}`,
        'coord-protocol': '1',
        'coord-runner-id': runnerId,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ waitMs: 20_000 }),
      signal: gone.signal,
    }).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const signedOff = await api(
      'POST',
      `/v1/runners/${runnerId}/presence`,
      { presence: 'offline' },
      { runnerId },
    );
    expect(signedOff.status).toBe(200);
    expect(signedOff.body).toEqual({ presence: 'offline' });
    gone.abort();
    await parked;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Its next call counts it online again, even within the second of the last one.
    await expectOfflineUntilItCalls(api, runnerId);
  });

  it('a draining runner counts as full until it claims again', async () => {
    const { api } = await startServer();
    const runnerId = await register(api, { name: 'laptop', capacity: 2 });
    await api('POST', `/v1/runners/${runnerId}/presence`, { presence: 'draining' }, { runnerId });
    const first = await submit(api);
    const waiting = (await api('GET', `/v1/jobs/${first}`)).body.job.waiting;
    expect(waiting.code).toBe('runners_busy');
    expect(waiting.message).toContain('busy or draining ("laptop": draining)');
    // A claim ends the drain: the runner takes jobs again, and has a slot left.
    await claimNow(api, runnerId);
    const second = await submit(api);
    expect((await api('GET', `/v1/jobs/${second}`)).body.job.waiting.code).toBe('queued');
  });

  it('another account cannot sign a runner off, and a presence must be one the protocol knows', async () => {
    const { server, api } = await startServer();
    const runnerId = await register(api, { name: 'laptop' });
    const bob = createAccount(server.store, { name: 'bob', workspaces: ['local'] });
    const refused = await apiFor(server, bob.token)('POST', `/v1/runners/${runnerId}/presence`, {
      presence: 'offline',
    });
    expect(refused.status).toBe(404);
    const unknown = await api(
      'POST',
      `/v1/runners/${runnerId}/presence`,
      { presence: 'asleep' },
      { runnerId },
    );
    expect(unknown.status).toBe(400);
    const jobId = await submit(api);
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.waiting.code).not.toBe('runner_offline');
  });

  it('every runner that could take it is busy, then it is next in line, and a taken job waits for nothing', async () => {
    const { api } = await startServer();
    const runnerId = await register(api, { name: 'laptop', capacity: 1 });
    const first = await submit(api, { title: 'first' });
    const second = await submit(api, { title: 'second' });
    const third = await submit(api, { title: 'third' });
    const before = (await api('GET', `/v1/jobs/${second}`)).body.job.waiting;
    expect(before).toMatchObject({ code: 'queued' });
    expect(before.message).toContain('1 Ready job that the same runners can take came first');

    expect((await claimNow(api, runnerId)).job.id).toBe(first);
    expect((await api('GET', `/v1/jobs/${first}`)).body.job.waiting).toBeNull();
    const busy = (await api('GET', `/v1/jobs/${third}`)).body.job.waiting;
    expect(busy.code).toBe('runners_busy');
    expect(busy.message).toContain('"laptop"');
  });

  it('a list and a burst made Ready count each place in line as a single job view does', async () => {
    const { api } = await startServer();
    const claude = { id: 'claude-code', state: 'detected', version: '1', enabled: true } as const;
    const demo = { id: 'demo', state: 'detected', version: '1', enabled: true } as const;
    await register(api, { machineId: 'machine-laptop', name: 'laptop', agents: [demo] });
    await register(api, { machineId: 'machine-desktop', name: 'desktop', agents: [demo, claude] });
    const agents = ['demo', 'claude-code', 'demo', 'claude-code'];
    const ids: string[] = [];
    for (const id of agents) {
      const agent = id === 'demo' ? { id, plan: [{ type: 'say' as const, text: 'hi' }] } : { id };
      ids.push(await submit(api, { agent, status: 'backlog' }));
    }

    const readied = (await api('POST', '/v1/jobs/ready', { jobIds: ids })).body.jobs;
    const listed = (await api('GET', '/v1/jobs?status=ready')).body.jobs;
    const single = [];
    for (const id of ids) single.push((await api('GET', `/v1/jobs/${id}`)).body.job.waiting);
    // The second claude-code job waits behind all three at desktop; the second demo job behind
    // one at laptop (and two at desktop).
    expect(single.map((w) => w.message.match(/(\d+) Ready job/)?.[1] ?? '0')).toEqual(['0', '1', '1', '3']);
    expect(readied.map((j: { waiting: unknown }) => j.waiting)).toEqual(single);
    expect(listed.map((j: { waiting: unknown }) => j.waiting)).toEqual(single);
  });

  it('the job list carries the reason too', async () => {
    const { api } = await startServer();
    await submit(api);
    const { body } = await api('GET', '/v1/jobs?status=ready');
    expect(body.jobs[0].waiting.code).toBe('no_runner');
  });
});
