import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { startCliServer, type CliServer } from './helpers/server.js';

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`))!;
const csrfOf = (html: string) => /<meta name="coord-csrf" content="([^"]+)">/.exec(html)![1]!;

/** A person in the browser: signs in to the web app with the server's token, approves the code. */
async function approveInBrowser(
  server: CliServer,
  url: string,
  decision: 'approve' | 'deny',
): Promise<{ approved: boolean }> {
  const json = { 'content-type': 'application/json', origin: server.url };
  const page = await fetch(`${server.url}/sign-in`);
  const signedIn = await fetch(`${server.url}/api/sign-in`, {
    method: 'POST',
    headers: { ...json, cookie: cookieOf(page, 'coord_sign_in'), 'x-coord-csrf': csrfOf(await page.text()) },
    body: JSON.stringify({ token: server.token }),
  });
  const cookie = cookieOf(signedIn, 'coord_session');
  // The link opens the app's device page; the page looks the code up, then posts the decision.
  const devicePage = await fetch(url, { headers: { cookie } });
  const code = new URL(url).searchParams.get('code')!;
  const lookup = await fetch(`${server.url}/api/device?code=${encodeURIComponent(code)}`, {
    headers: { cookie },
  });
  if (lookup.status !== 200) throw new Error(`the code was not found: ${await lookup.text()}`);
  const done = await fetch(`${server.url}/api/device`, {
    method: 'POST',
    headers: { ...json, cookie, 'x-coord-csrf': csrfOf(await devicePage.text()) },
    body: JSON.stringify({ code, decision }),
  });
  return (await done.json()) as { approved: boolean };
}

describe('coord-runner login with a device code', () => {
  it('shows a code, waits for the approval in the web app, saves a token; whoami and logout work', async () => {
    const dir = tempDir('device-login');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    const stateDir = join(dir.path, 'runner');

    const login = startCli(['login', '--server', server.url, '--state-dir', stateDir], env, { stderr: true });
    onCleanup(() => void login.child.kill('SIGKILL'));
    const url = await eventually(
      () => /open\n\s+(\S+\/device\?code=\S+)/.exec(login.output())?.[1],
      20_000,
      'the code',
    );
    const code = /shows the code (\S{4}-\S{4})/.exec(login.output())![1]!;
    expect(url).toBe(`${server.url}/device?code=${code}`);
    expect(await approveInBrowser(server, url, 'approve')).toEqual({ approved: true });
    const result = await login.child;
    expect(result.exitCode, login.output()).toBe(0);
    expect(login.output()).toContain('Logged in to');
    expect(existsSync(join(stateDir, 'credentials'))).toBe(true);
    // The new token is nowhere in what was printed.
    expect(login.output()).not.toMatch(/coord_[A-Za-z0-9_-]{40,}/);

    const whoami = await runCli(['whoami', '--state-dir', stateDir, '--json'], { env });
    expect(whoami.exitCode, String(whoami.all)).toBe(0);
    expect(JSON.parse(String(whoami.stdout))).toMatchObject({
      server: server.url,
      account: { name: 'local' },
    });

    const logout = await runCli(['logout', '--state-dir', stateDir], { env });
    expect(String(logout.stdout)).toContain('revoked on the server');
    expect(existsSync(join(stateDir, 'credentials'))).toBe(false);
    const after = await runCli(['whoami', '--state-dir', stateDir], { env });
    expect(after.exitCode).not.toBe(0);
    expect(String(after.all)).toContain('No Coord token');
  }, 60_000);

  it('ends with a clear message when the sign-in is denied', async () => {
    const dir = tempDir('device-denied');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    const login = startCli(['login', '--server', server.url, '--state-dir', join(dir.path, 'runner')], env, {
      stderr: true,
    });
    onCleanup(() => void login.child.kill('SIGKILL'));
    const url = await eventually(
      () => /open\n\s+(\S+\/device\?code=\S+)/.exec(login.output())?.[1],
      20_000,
      'the code',
    );
    expect(await approveInBrowser(server, url, 'deny')).toEqual({ approved: false });
    const result = await login.child;
    expect(result.exitCode).not.toBe(0);
    expect(login.output()).toContain('The sign-in was denied in the web app.');
  }, 60_000);
});
