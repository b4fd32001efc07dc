import { describe, expect, it } from 'vitest';
import { startLocalServer } from '../src/index.js';
import { apiFor, claimNow, register, startServer, submit, tempDir, waitFor } from './helpers.js';

describe('web page and shutdown', () => {
  it('lists jobs for a signed-in browser and asks others to sign in', async () => {
    const { server, api } = await startServer();
    await submit(api, { title: '<b>escaped</b> job' });
    const anonymous = await fetch(`${server.url}/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="coord"');
    const basic = Buffer.from(`me:${server.token}`).toString('base64');
    const page = await fetch(`${server.url}/`, { headers: { authorization: `Basic ${basic}` } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('&lt;b&gt;escaped&lt;/b&gt; job');
    expect(html).toContain('ready');
  });

  it("shows a job's attempts and their log, escaped, reloading itself only while the job can change", async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const jobId = await submit(api, { title: 'Log me' });
    const { attempt } = await claimNow(api, runner);
    const at = new Date().toISOString();
    const events = [
      { seq: 1, at, type: 'job.claimed', data: { title: 'Log me' } },
      {
        seq: 2,
        at,
        type: 'job.agent',
        data: { event: { type: 'message.completed', role: 'assistant', text: 'I will <script>x</script>' } },
      },
      {
        seq: 3,
        at,
        type: 'job.agent',
        data: { event: { type: 'tool.output', toolCallId: 't', stream: 'stdout', chunk: 'line one\n' } },
      },
    ];
    expect(
      (await api('POST', `/v1/attempts/${attempt.id}/events`, { events }, { runnerId: runner })).status,
    ).toBe(200);

    const basic = `Basic ${Buffer.from(`me:${server.token}`).toString('base64')}`;
    const get = (path: string, authorization?: string) =>
      fetch(`${server.url}${path}`, authorization ? { headers: { authorization } } : {});
    expect((await get(`/jobs/${jobId}`)).status).toBe(401);
    expect((await get('/jobs/job_nope', basic)).status).toBe(404);

    const running = await (await get(`/jobs/${jobId}`, basic)).text();
    expect(running).toContain('Attempt 1');
    expect(running).toContain('agent: I will &lt;script&gt;x&lt;/script&gt;');
    expect(running).not.toContain('<script>');
    expect(running).toContain('line one');
    expect(running).toContain('http-equiv="refresh"');
    expect(await (await get('/', basic)).text()).toContain(`href="/jobs/${jobId}"`);

    await api(
      'POST',
      `/v1/attempts/${attempt.id}/complete`,
      { outcome: 'succeeded', lastSeq: 3 },
      { runnerId: runner },
    );
    const finished = await (await get(`/jobs/${jobId}`, basic)).text();
    expect(finished).not.toContain('http-equiv="refresh"');
    expect(finished).toContain('done');
  });

  it('close() answers parked claims with null and releases the data dir for a restart', async () => {
    const dir = tempDir();
    const server = await startLocalServer({ dataDir: dir });
    const api = apiFor(server);
    const runner = await register(api);
    const parked = api('POST', `/v1/runners/${runner}/claim`, { waitMs: 20_000 });
    await waitFor(() => server.parkedClaims() === 1, 'the claim to park');
    await server.close();
    expect((await parked).body).toEqual({ assignment: null });
    const again = await startLocalServer({ dataDir: dir });
    try {
      expect(again.token).toBe(server.token);
      expect(await register(apiFor(again))).toBe(runner);
    } finally {
      await again.close();
    }
  });
});
