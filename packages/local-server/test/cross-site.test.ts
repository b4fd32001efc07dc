import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startLocalServer } from '../src/index.js';
import {
  claimNow,
  jobSubmission,
  pageCsrf,
  register,
  setCookie,
  signIn,
  startServer,
  submit,
  tempDir,
} from './helpers.js';

/** A request exactly as given (fetch would not let a test set Host). */
function raw(
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const basic = (token: string) => `Basic ${Buffer.from(`me:${token}`).toString('base64')}`;
const evil = 'http://evil.example';

/** The job a page on another site posted: its demo agent runs a command on the runner's machine. */
const hostileJob = JSON.stringify(
  jobSubmission({ agent: { id: 'demo', plan: [{ type: 'run', command: ['touch', '/tmp/pwned'] }] } }),
);

describe('cross-site requests', () => {
  it('a page on another site submitted a job with a text/plain body and cached Basic credentials', async () => {
    const { server, api } = await startServer();
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/v1/workspaces/local/jobs`, { method: 'POST', headers, body: hostileJob });
    // What the browser sends for the page's form or no-cors fetch.
    const fromPage = await post({
      'content-type': 'text/plain',
      authorization: basic(server.token),
      origin: evil,
    });
    expect(fromPage.status).toBe(403);
    expect(((await fromPage.json()) as { error: { code: string } }).error.code).toBe(
      'request.forbidden_origin',
    );
    // Each defence holds on its own: Basic is no credential for the API...
    const basicOnly = await post({ 'content-type': 'application/json', authorization: basic(server.token) });
    expect(basicOnly.status).toBe(401);
    expect(basicOnly.headers.get('www-authenticate')).toBe('Bearer realm="coord"');
    // ...and a CORS-simple content type is no JSON body, even with a valid token.
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const simple = await post({ 'content-type': type, authorization: `Bearer ${server.token}` });
      expect(simple.status, type).toBe(415);
      expect(((await simple.json()) as { error: { code: string } }).error.code).toBe(
        'request.unsupported_media_type',
      );
    }
    expect((await api('GET', '/v1/jobs')).body.jobs).toEqual([]);
    // The real clients keep working: Bearer, application/json (with a charset), and no Origin.
    const ok = await post({
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${server.token}`,
    });
    expect(ok.status).toBe(201);
    // And a page of the server's own origin may call the API with the token (it has to know it).
    expect(
      (
        await post({
          'content-type': 'application/json',
          authorization: `Bearer ${server.token}`,
          origin: server.url,
        })
      ).status,
    ).toBe(201);
  });

  it('a page on another site cancelled a job and created a forge repository', async () => {
    const { server, api } = await startServer();
    const jobId = await submit(api);
    const cancel = await fetch(`${server.url}/v1/jobs/${jobId}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: basic(server.token), origin: evil },
      body: '{}',
    });
    expect(cancel.status).toBe(403);
    const cancelBasic = await fetch(`${server.url}/v1/jobs/${jobId}/cancel`, {
      method: 'POST',
      headers: { authorization: basic(server.token) },
    });
    expect(cancelBasic.status).toBe(401);
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('ready');

    const repos = (headers: Record<string, string>) =>
      fetch(`${server.url}/forge/api/user/repos`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'planted' }),
      });
    expect(
      (await repos({ 'content-type': 'text/plain', authorization: basic(server.token), origin: evil }))
        .status,
    ).toBe(403);
    const basicRepo = await repos({ 'content-type': 'application/json', authorization: basic(server.token) });
    expect(basicRepo.status).toBe(401);
    expect(basicRepo.headers.get('www-authenticate')).not.toMatch(/basic/i); // no browser prompt
    const plain = await repos({ 'content-type': 'text/plain', authorization: `Bearer ${server.token}` });
    expect(plain.status).toBe(415);
    const lookup = await fetch(`${server.url}/forge/api/repos/local/planted`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(lookup.status).toBe(404);
  });

  it('a request with Host: evil.example was served (DNS rebinding)', async () => {
    const { server } = await startServer();
    const { port } = new URL(server.url);
    const auth = { authorization: `Bearer ${server.token}` };
    for (const path of ['/v1/me', '/', '/sign-in', '/forge/api/user', '/forge/git/local/x.git/info/refs']) {
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`]) {
        const res = await raw(server.url, { path, headers: { ...auth, host } });
        expect(res.status, `${host} ${path}`).toBe(421);
        expect(JSON.parse(res.body).error.code).toBe('request.misdirected');
        // Refusals carry the security headers of every answer: no other site may even read them.
        expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
        expect(res.headers['content-security-policy']).toMatch(/sandbox/);
      }
    }
    // The server's own names on loopback, with its port.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await raw(server.url, { path: '/v1/me', headers: { ...auth, host } })).status, host).toBe(200);
    }
    // Git gets the Origin check too (git itself sends none).
    const git = await raw(server.url, {
      path: '/forge/git/local/x.git/info/refs?service=git-upload-pack',
      headers: { host: `127.0.0.1:${port}`, origin: evil, authorization: basic(server.token) },
    });
    expect(git.status).toBe(403);
    expect(git.headers['x-content-type-options']).toBe('nosniff');
    const nullOrigin = await raw(server.url, {
      path: '/v1/me',
      headers: { ...auth, host: `127.0.0.1:${port}`, origin: 'null' },
    });
    expect(nullOrigin.status).toBe(403);
  });

  it('extra names are served when configured, and cookies set over them get Secure', async () => {
    const server = await startLocalServer({ dataDir: tempDir(), publicUrls: ['https://coord.example.com'] });
    try {
      for (const host of ['coord.example.com', 'coord.example.com:443']) {
        const res = await raw(server.url, {
          path: '/v1/me',
          headers: { host, origin: 'https://coord.example.com', authorization: `Bearer ${server.token}` },
        });
        expect(res.status, host).toBe(200);
      }
      const form = await raw(server.url, { path: '/sign-in', headers: { host: 'coord.example.com' } });
      expect(String(form.headers['set-cookie'])).toMatch(/; Secure/);
      expect((await raw(server.url, { path: '/v1/me', headers: { host: 'other.example.com' } })).status).toBe(
        421,
      );
      await expect(startLocalServer({ dataDir: tempDir(), publicUrls: ['ftp://x'] })).rejects.toThrow(
        /http or https/,
      );
    } finally {
      await server.close();
    }
  });
});

describe('web sign-in', () => {
  it('the web page took HTTP Basic: it signs in to an HttpOnly SameSite=Strict session cookie', async () => {
    const { server } = await startServer();
    // Basic credentials are not a way in any more, and nothing asks a browser for them.
    const withBasic = await fetch(`${server.url}/`, {
      headers: { authorization: basic(server.token) },
      redirect: 'manual',
    });
    expect(withBasic.status).toBe(303);
    expect(withBasic.headers.get('location')).toMatch(/^\/sign-in/);
    expect(withBasic.headers.get('www-authenticate')).toBeNull();

    const page = await fetch(`${server.url}/sign-in?next=%2Fjobs%2Fx`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain(server.token);
    const nonceCookie = page.headers.getSetCookie().find((c) => c.startsWith('coord_sign_in='))!;
    expect(nonceCookie).toMatch(/; HttpOnly/);
    expect(nonceCookie).toMatch(/; SameSite=Strict/);
    const nonce = setCookie(page, 'coord_sign_in')!;
    const csrf = pageCsrf(html);
    const post = (body: unknown, headers: Record<string, string> = {}) => {
      const all: Record<string, string> = {
        origin: server.url,
        cookie: nonce,
        'x-coord-csrf': csrf,
        'content-type': 'application/json',
        ...headers,
      };
      for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
      return fetch(`${server.url}/api/sign-in`, {
        method: 'POST',
        headers: all,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    };

    // A wrong token, a missing or foreign CSRF token, a foreign or missing Origin, a form post: no session.
    const wrong = await post({ token: 'coord_wrong' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe(
      'That token is not valid for this server.',
    );
    expect(setCookie(wrong, 'coord_session')).toBeUndefined();
    const refused = [
      await post({ token: server.token }, { 'x-coord-csrf': '' }),
      await post(
        { token: server.token },
        { 'x-coord-csrf': csrf.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
      ),
      await post({ token: server.token }, { cookie: '' }),
      await post({ token: server.token }, { origin: evil }),
      await post({ token: server.token }, { origin: '' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    const form = await post(`token=${server.token}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    for (const r of [...refused, form]) expect(setCookie(r, 'coord_session')).toBeUndefined();

    const ok = await post({ token: server.token, next: '/jobs/x' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ next: '/jobs/x' });
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('coord_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Secure/); // plain http on loopback
    expect(cookie).toMatch(/Max-Age=43200/);
    // Stored hashed: the database does not hold the cookie's id.
    const id = cookie.split(';', 1)[0]!.split('=')[1]!;
    const rows = server.store.db.prepare('SELECT hash FROM sessions').all() as { hash: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.hash).not.toContain(id);
    // Only paths on this server are followed after sign-in.
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example'])
      expect(await (await post({ token: server.token, next })).json(), next).toEqual({ next: '/' });
  });

  it('a one-time link signs its account in once, and only for its 15 minutes', async () => {
    const { server, api } = await startServer();
    const codeOf = (url: string) =>
      /^http:\/\/127\.0\.0\.1:\d+\/sign-in#code=([A-Za-z0-9_-]{43})$/.exec(url)?.[1];
    // Minted by whoever holds the account's token (`coord-runner web`), or by the server itself.
    expect((await api('POST', '/v1/me/web-sign-in', {}, { token: null })).status).toBe(401);
    const minted = await api('POST', '/v1/me/web-sign-in', {});
    expect(minted.status).toBe(200);
    const code = codeOf(minted.body.url)!;
    expect(code).toBeDefined();
    expect(Date.parse(minted.body.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    // The database keeps a hash only: a copy of it signs nobody in.
    const rows = server.store.db.prepare('SELECT hash FROM sign_in_links').all() as { hash: string }[];
    expect(rows.map((r) => r.hash)).not.toContain(code);

    const browser = await signIn(server, { code });
    expect((await browser.json('GET', '/board')).status).toBe(200);
    // Spent: the same link, used again, signs nobody in and says what to do.
    await expect(signIn(server, { code })).rejects.toThrow(/used already or has expired.*coord-runner web/);

    // Expired: a link 15 minutes old is refused even if never used.
    const late = codeOf(server.signInLink().url)!;
    server.store.db.prepare('UPDATE sign_in_links SET expires_at = ?').run(Date.now() - 1);
    await expect(signIn(server, { code: late })).rejects.toThrow(/401/);
    // Not a code at all, or a token and a code at once: refused before any lookup.
    await expect(signIn(server, { code: 'short' })).rejects.toThrow(/400/);
    await expect(signIn(server, { code, token: server.token } as never)).rejects.toThrow(/400/);
  });

  it('Cancel, Stop (graceful) and Sign out need the session, its CSRF token and our Origin', async () => {
    const { server, api } = await startServer();
    const runner = await register(api, { capacity: 2 });
    const readyJob = await submit(api);
    const browser = await signIn(server);
    const other = await signIn(server); // another session: its token is no good for this one

    const cancel = `/jobs/${readyJob}/cancel`;
    expect((await browser.call('POST', cancel, {}, { 'x-coord-csrf': '' })).status).toBe(403);
    expect((await browser.call('POST', cancel, {}, { 'x-coord-csrf': other.csrf })).status).toBe(403);
    expect((await browser.call('POST', cancel, {}, { origin: evil })).status).toBe(403);
    expect((await browser.call('POST', cancel, {}, { origin: '' })).status).toBe(403);
    const anonymous = await browser.call('POST', cancel, {}, { cookie: '' });
    expect(anonymous.status).toBe(401);
    expect((await api('GET', `/v1/jobs/${readyJob}`)).body.job.status).toBe('ready');

    const done = await browser.call('POST', cancel, {});
    expect(done.status).toBe(200);
    expect((await api('GET', `/v1/jobs/${readyJob}`)).body.job.status).toBe('cancelled');
    const again = await browser.call('POST', cancel, {});
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/cannot be cancelled/);

    // Stop reaches the runner on its renewal, like POST /v1/jobs/:id/stop.
    const running = await submit(api);
    const { attempt } = await claimNow(api, runner);
    expect((await browser.call('POST', `/jobs/${running}/stop`, {})).status).toBe(200);
    const renewal = await api(
      'POST',
      `/v1/attempts/${attempt.id}/lease`,
      { state: 'running' },
      { runnerId: runner },
    );
    expect(renewal.body.controls).toEqual([{ type: 'stop' }]);

    // Signing out ends the session: its cookie opens nothing any more; the other one still works.
    expect((await browser.call('POST', '/sign-out', {}, { 'x-coord-csrf': other.csrf })).status).toBe(403);
    const out = await browser.call('POST', '/sign-out', {});
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().find((c) => c.startsWith('coord_session='))).toMatch(/Max-Age=0/);
    expect((await browser.get('/')).status).toBe(303);
    expect((await browser.get('/api/board')).status).toBe(401);
    expect((await other.get('/')).status).toBe(200);
  });

  it('the forge pull request page used Basic too: it takes the session', async () => {
    const { server } = await startServer();
    const res = await raw(server.url, {
      path: '/forge/local/x/pull/1',
      headers: { host: new URL(server.url).host, authorization: basic(server.token) },
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sign-in?next=%2Fforge%2Flocal%2Fx%2Fpull%2F1');
    const browser = await signIn(server);
    expect((await browser.get('/forge/local/x/pull/1')).status).toBe(200); // the app's page
    expect((await browser.json('GET', '/pulls/local/x/1')).status).toBe(404); // which finds nothing
  });
});
