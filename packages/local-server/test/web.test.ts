import { describe, expect, it } from 'vitest';
import { startLocalServer } from '../src/index.js';
import { apiFor, claimNow, register, signIn, startServer, submit, tempDir, waitFor } from './helpers.js';

describe('the web app’s pages and shutdown', () => {
  it('serves the app at / and at each page, sends the signed-out to sign in, and redirects /app', async () => {
    const { server, api } = await startServer();
    const jobId = await submit(api, { title: '<b>escaped</b> job' });
    const pages = [
      '/',
      '/new',
      '/runners',
      '/device?code=BCDF-GHJK',
      `/jobs/${jobId}`,
      '/forge/local/x/pull/1',
    ];
    for (const path of pages) {
      const anonymous = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(anonymous.status, path).toBe(303);
      expect(anonymous.headers.get('location'), path).toBe(`/sign-in?next=${encodeURIComponent(path)}`);
      expect(anonymous.headers.get('www-authenticate'), path).toBeNull();
    }
    const browser = await signIn(server);
    for (const path of pages) {
      const shell = await browser.get(path);
      expect(shell.status, path).toBe(200);
      // Never stored: a page carries a CSRF token, and Back must ask the server again.
      expect(shell.headers.get('cache-control'), path).toBe('no-store');
      expect(await shell.text(), path).toContain('<script type="module" src="/assets/app.js"></script>');
    }
    // The board's data is JSON, as it was submitted: the page renders it as text, never as HTML.
    const board = await browser.json('GET', '/board');
    expect(board.body.jobs.map((j: { spec: { title: string } }) => j.spec.title)).toEqual([
      '<b>escaped</b> job',
    ]);
    // The app's first home keeps working for links saved before it moved to /.
    for (const [old, now] of [
      ['/app', '/'],
      ['/app/', '/'],
      [`/app/jobs/${jobId}?x=1`, `/jobs/${jobId}?x=1`],
      ['/app/runners', '/runners'],
    ]) {
      const res = await browser.get(old!);
      expect(res.status, old).toBe(308);
      expect(res.headers.get('location'), old).toBe(now);
    }
    // Signed in, the sign-in page goes straight on (to a path on this server only).
    for (const [next, to] of [
      ['%2Frunners', '/runners'],
      ['%2F%2Fevil.example', '/'],
    ]) {
      const res = await browser.get(`/sign-in?next=${next}`);
      expect(res.status, next).toBe(303);
      expect(res.headers.get('location'), next).toBe(to);
    }
    expect((await browser.get('/application')).status).toBe(404);
    expect((await browser.get('/jobs/a/b')).status).toBe(404);
  });

  it('the job URL a runner puts in its pull request opens the job page', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const jobId = await submit(api);
    const { job } = await claimNow(api, runner);
    expect(job.webUrl).toBe(`${server.url}/jobs/${jobId}`);
    const browser = await signIn(server);
    expect((await browser.get(new URL(job.webUrl as string).pathname)).status).toBe(200);
    expect((await browser.json('GET', `/jobs/${jobId}/detail`)).body.job.id).toBe(jobId);
    expect((await browser.json('GET', '/jobs/job_nope/detail')).status).toBe(404);
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
