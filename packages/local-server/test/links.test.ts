import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { claimNow, register, signIn, startServer, submit } from './helpers.js';

const complete = (pullRequest: unknown) => ({
  outcome: 'succeeded',
  lastSeq: 0,
  pullRequest,
});
const repositoryJob = (cloneUrl: string, name = 'r') => ({
  context: { type: 'repository' as const, repository: { cloneUrl, owner: 'local', name } },
});

describe('links from untrusted data', () => {
  it('a runner reported a javascript: pull request URL and the job pages linked it (stored XSS)', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    const jobId = await submit(api, repositoryJob('https://example.com/o/r.git'));
    const { attempt } = await claimNow(api, runner);
    for (const url of [
      'javascript:alert(document.cookie)',
      'data:text/html,<script>x</script>',
      'file:///etc/passwd',
    ]) {
      const res = await api(
        'POST',
        `/v1/attempts/${attempt.id}/complete`,
        complete({ url, number: 1, branch: 'coord/x' }),
        { runnerId: runner },
      );
      expect(res.status, url).toBe(400);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain('pullRequest.url');
    }
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('in_progress');

    // A link already stored (by an older server) is data to the app, which links http(s) only
    // (tests/browser: web-app.test.ts shows it as text in Chromium).
    server.store.db
      .prepare('UPDATE attempts SET pull_request = ? WHERE id = ?')
      .run(JSON.stringify({ url: 'javascript:alert(1)', number: 7, branch: 'coord/x' }), attempt.id);
    const browser = await signIn(server);
    const { body } = await browser.json('GET', `/jobs/${jobId}/detail`);
    expect(body.job.attempts[0].pullRequest).toMatchObject({ number: 7 });
  });

  it("a job on the server's own forge could report any pull request URL: only the forge's own is taken", async () => {
    const { server, api } = await startServer();
    const octokit = new Octokit({ baseUrl: `${server.url}/forge/api`, auth: server.token });
    const repo = (await octokit.rest.repos.createForAuthenticatedUser({ name: 'app', auto_init: true })).data;
    const runner = await register(api);
    await submit(api, repositoryJob(repo.clone_url, 'app'));
    const { attempt } = await claimNow(api, runner);
    const own = `${server.url}/forge/local/app/pull/1`;
    for (const url of [
      'https://evil.example/forge/local/app/pull/1',
      `${server.url}/forge/local/other/pull/1`,
      `${own}?x=1`,
      `${server.url}/forge/local/app/pull/2`,
    ]) {
      const res = await api(
        'POST',
        `/v1/attempts/${attempt.id}/complete`,
        complete({ url, number: 1, branch: 'coord/x' }),
        { runnerId: runner },
      );
      expect(res.status, url).toBe(400);
      expect(res.body.error.message).toContain(own);
    }
    const ok = await api(
      'POST',
      `/v1/attempts/${attempt.id}/complete`,
      complete({ url: own, number: 1, branch: 'coord/x' }),
      { runnerId: runner },
    );
    expect(ok.status).toBe(200);
  });

  it('pages had no Content-Security-Policy and could be framed', async () => {
    const { server, api } = await startServer();
    const jobId = await submit(api);
    const browser = await signIn(server);
    const anonymous = (path: string) => fetch(`${server.url}${path}`, { redirect: 'manual' });
    const pages = [await browser.get('/'), await browser.get(`/jobs/${jobId}`), await anonymous('/sign-in')];
    const data = [
      await browser.get('/api/board'),
      await browser.get(`/api/jobs/${jobId}/detail`),
      await browser.get('/nope'),
      await anonymous('/'),
      await anonymous('/v1/me'),
      await anonymous('/forge/api/user'),
    ];
    for (const res of [...pages, ...data]) {
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, res.url).toMatch(/default-src 'none'/);
      expect(csp, res.url).toMatch(/frame-ancestors 'none'/);
      expect(csp, res.url).toMatch(/base-uri 'none'/);
      expect(csp, res.url).not.toMatch(/unsafe|\*|data:|http/);
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), res.url).toBe('same-origin');
      expect(res.headers.get('x-frame-options'), res.url).toBe('DENY');
    }
    // The app's pages run their own script and style, from this origin only, nothing inline.
    for (const res of pages) {
      const csp = res.headers.get('content-security-policy')!;
      expect(csp, res.url).toMatch(/script-src 'self'(;|$)/);
      expect(csp, res.url).toMatch(/style-src 'self'(;|$)/);
      expect(csp, res.url).toMatch(/connect-src 'self'(;|$)/);
      expect(csp, res.url).toMatch(/form-action 'self'/);
      const html = await res.text();
      expect(html, res.url).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect(html.match(/<script[^>]*>/g), res.url).toEqual(['<script type="module" src="/assets/app.js">']);
    }
    // Anything else runs and loads nothing, even if a browser were made to show it.
    for (const res of data) {
      const csp = res.headers.get('content-security-policy')!;
      expect(csp, res.url).not.toMatch(/script-src|style-src|connect-src/);
      expect(csp, res.url).toMatch(/sandbox/);
    }
  });
});
