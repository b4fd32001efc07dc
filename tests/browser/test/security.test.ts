import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobView } from '@coord/runner-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.js';
import { cleanUp, onCleanup, signIn, startServer, tempDir } from './helpers/stack.js';

afterEach(cleanUp);

/** A page on another origin (same host, another port: the same *site*, so SameSite cookies go along). */
async function hostilePage(html: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function jobs(server: { url: string; token: string }): Promise<JobView[]> {
  const res = await fetch(`${server.url}/v1/jobs`, { headers: { authorization: `Bearer ${server.token}` } });
  return ((await res.json()) as { jobs: JobView[] }).jobs;
}

describe('the web app is safe in a browser', () => {
  it('a page on another origin cannot submit or cancel jobs with the signed-in session', async () => {
    const dir = tempDir('cross-origin');
    const server = await startServer(dir);
    const ready = await fetch(`${server.url}/v1/workspaces/local/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Keep me',
        instructions: 'x',
        context: { type: 'local' },
        agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
      }),
    });
    const { job } = (await ready.json()) as { job: JobView };
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const page = await browser.newPage();
    await signIn(page, server);

    const spec = JSON.stringify({
      title: 'Planted',
      instructions: 'x',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'run', command: ['touch', '/tmp/pwned'] }] },
    });
    const evil = await hostilePage(`<!doctype html><body>
<form id="f" method="post" action="${server.url}/api/jobs/${job.id}/cancel"><input name="csrf" value="guess"></form>
<script>
  fetch(${JSON.stringify(`${server.url}/api/workspaces/local/jobs`)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(spec)} })
    .finally(() => document.getElementById('f').submit());
</script></body>`);
    const refusals: number[] = [];
    const blocked: string[] = [];
    page.on('response', (res) => {
      if (res.url().startsWith(server.url) && res.request().method() === 'POST') refusals.push(res.status());
    });
    page.on('requestfailed', (req) => {
      if (req.url().startsWith(server.url) && req.method() === 'POST')
        blocked.push(`${req.method()} ${req.failure()?.errorText}`);
    });
    await page.goto(evil);
    await page.waitForURL(`${server.url}/api/jobs/${job.id}/cancel`);
    expect(await page.textContent('body')).toContain('Requests from other sites are refused');
    // The form's navigation shows the refusal; the script's fetch does not even get to see its
    // answer (Cross-Origin-Resource-Policy: same-origin, on refusals too).
    expect(refusals).toEqual([403]);
    expect(blocked).toEqual(['POST net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin']);
    const after = await jobs(server);
    expect(after.map((j) => [j.spec.title, j.status])).toEqual([['Keep me', 'ready']]);
  });

  it('a request naming another host (DNS rebinding) is refused', async () => {
    const dir = tempDir('rebinding');
    const server = await startServer(dir);
    const port = new URL(server.url).port;
    // rebind.test resolves to the server's own address, as an attacker's DNS would make it.
    const { browser, close } = await launchChromium(['--host-resolver-rules=MAP rebind.test 127.0.0.1']);
    onCleanup(close);
    const page = await browser.newPage();
    for (const path of ['/', '/api/board', '/sign-in']) {
      const res = await page.goto(`http://rebind.test:${port}${path}`);
      expect(res!.status(), path).toBe(421);
      expect(await page.textContent('body')).toContain('does not answer to the host');
    }
    // The same server under its own name answers.
    expect((await page.goto(`${server.url}/sign-in`))!.status()).toBe(200);
  });

  it('a one-time sign-in link signs in without a token, leaves no code behind, and works once', async () => {
    const server = await startServer(tempDir('sign-in-link'));
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const { url: link } = server.signInLink();
    const page = await browser.newPage();
    await page.goto(link);
    await page.waitForURL(`${server.url}/`);
    await page.getByRole('heading', { name: 'Board' }).waitFor();
    // The code is gone from the address bar and from history: Back shows no sign-in link.
    await page.goBack();
    expect(page.url()).not.toContain('code=');
    // Another link, opened while signed in, goes straight to the board and leaves no code either.
    await page.goto(server.signInLink().url);
    await page.getByRole('heading', { name: 'Board' }).waitFor();
    expect(page.url()).toBe(`${server.url}/`);

    // Spent: a second browser opening the same link is told so, and offered the token form.
    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(link);
    await second.getByText(/used already or has expired/).waitFor();
    expect(second.url()).toBe(`${server.url}/sign-in`);
    expect(await second.locator('input[name="token"]').isVisible()).toBe(true);
    await other.close();
  });
});
