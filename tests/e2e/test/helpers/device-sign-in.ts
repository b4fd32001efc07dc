import { eventually, startCli } from './cli.js';

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`))!;
const csrfOf = (html: string) => /<meta name="coord-csrf" content="([^"]+)">/.exec(html)![1]!;

/** A person in the browser: signs in to the web app with the server's token, approves the code. */
export async function approveInBrowser(
  server: { url: string; token: string },
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

/**
 * `coord-runner login` with a device code, approved in the browser: the state dir then holds a
 * token the server made for this sign-in (one `coord-runner logout` revokes).
 */
export async function loginWithDeviceCode(
  server: { url: string; token: string },
  stateDir: string,
  env: Record<string, string>,
): Promise<void> {
  const login = startCli(['login', '--server', server.url, '--state-dir', stateDir], env, { stderr: true });
  const url = await eventually(
    () => /open\n\s+(\S+\/device\?code=\S+)/.exec(login.output())?.[1],
    20_000,
    'the device code',
  );
  await approveInBrowser(server, url, 'approve');
  const result = await login.child;
  if (result.exitCode !== 0) throw new Error(`login failed: ${login.output()}`);
}
