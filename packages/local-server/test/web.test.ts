import { describe, expect, it } from 'vitest';
import { startLocalServer } from '../src/index.js';
import { apiFor, claimNow, register, signIn, startServer, submit, tempDir, waitFor } from './helpers.js';

describe('web page and shutdown', () => {
  it('lists jobs for a signed-in browser and sends others to sign in', async () => {
    const { server, api } = await startServer();
    await submit(api, { title: '<b>escaped</b> job' });
    const anonymous = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/sign-in?next=%2F');
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
    const browser = await signIn(server);
    const page = await browser.get('/');
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('&lt;b&gt;escaped&lt;/b&gt; job');
    expect(html).toContain('ready');
    expect(html).toContain('Signed in as local');
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

    expect((await fetch(`${server.url}/jobs/${jobId}`, { redirect: 'manual' })).status).toBe(303);
    const browser = await signIn(server);
    expect((await browser.get('/jobs/job_nope')).status).toBe(404);

    const running = await (await browser.get(`/jobs/${jobId}`)).text();
    expect(running).toContain('Attempt 1');
    expect(running).toContain('agent: I will &lt;script&gt;x&lt;/script&gt;');
    expect(running).not.toContain('<script>');
    expect(running).toContain('line one');
    expect(running).toContain('http-equiv="refresh"');
    expect(running).toContain(`action="/jobs/${jobId}/cancel"`);
    expect(running).toContain(`action="/jobs/${jobId}/stop"`);
    expect(await (await browser.get('/')).text()).toContain(`href="/jobs/${jobId}"`);

    await api(
      'POST',
      `/v1/attempts/${attempt.id}/complete`,
      { outcome: 'succeeded', lastSeq: 3 },
      { runnerId: runner },
    );
    const finished = await (await browser.get(`/jobs/${jobId}`)).text();
    expect(finished).not.toContain('http-equiv="refresh"');
    expect(finished).not.toContain('/cancel"');
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
