import { createHash } from 'node:crypto';
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

    // A link already stored (by an older server) is shown as text, never as a link.
    server.store.db
      .prepare('UPDATE attempts SET pull_request = ? WHERE id = ?')
      .run(JSON.stringify({ url: 'javascript:alert(1)', number: 7, branch: 'coord/x' }), attempt.id);
    const browser = await signIn(server);
    for (const path of [`/jobs/${jobId}`, '/']) {
      const html = await (await browser.get(path)).text();
      expect(html, path).not.toMatch(/href="javascript:/i);
      expect(html, path).toContain('#7');
    }
    // An https link still is one.
    server.store.db
      .prepare('UPDATE attempts SET pull_request = ? WHERE id = ?')
      .run(
        JSON.stringify({ url: 'https://github.com/o/r/pull/7?a="<b>', number: 7, branch: 'coord/x' }),
        attempt.id,
      );
    expect(await (await browser.get(`/jobs/${jobId}`)).text()).toContain(
      'href="https://github.com/o/r/pull/7?a=%22%3Cb%3E"',
    );
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
    const answers = [
      await browser.get('/'),
      await browser.get(`/jobs/${jobId}`),
      await browser.get('/jobs/job_nope'),
      await anonymous('/sign-in'),
      await anonymous('/'),
      await anonymous('/v1/me'),
      await anonymous('/forge/api/user'),
    ];
    for (const res of answers) {
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, res.url).toMatch(/default-src 'none'/);
      expect(csp, res.url).toMatch(/frame-ancestors 'none'/);
      expect(csp, res.url).toMatch(/form-action 'self'/);
      expect(csp, res.url).toMatch(/base-uri 'none'/);
      expect(csp, res.url).not.toMatch(/unsafe-inline|script-src/);
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), res.url).toBe('same-origin');
      expect(res.headers.get('x-frame-options'), res.url).toBe('DENY');
    }
    // The page's one inline style is the one the policy allows, and the pages carry no script.
    const page = await (await browser.get(`/jobs/${jobId}`)).text();
    const style = /<style>([^<]*)<\/style>/.exec(page)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(answers[1]!.headers.get('content-security-policy')).toContain(`style-src 'sha256-${hash}'`);
    expect(page).not.toMatch(/<script|\son[a-z]+=/i);
  });
});
