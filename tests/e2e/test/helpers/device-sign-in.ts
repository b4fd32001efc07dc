import { eventually, startCli } from './cli.js';

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`))!;
const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;

/** A person in the browser: signs in to the web page with the server's token, approves the code. */
export async function approveInBrowser(
  server: { url: string; token: string },
  url: string,
  decision: 'approve' | 'deny',
): Promise<string> {
  const form = await fetch(`${server.url}/sign-in`);
  const nonce = cookieOf(form, 'coord_sign_in');
  const signedIn = await fetch(`${server.url}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: server.url, cookie: nonce },
    body: new URLSearchParams({ csrf: hidden(await form.text(), 'csrf'), token: server.token, next: '/' }),
  });
  const cookie = cookieOf(signedIn, 'coord_session');
  const confirm = await (await fetch(url, { headers: { cookie } })).text();
  const done = await fetch(`${server.url}/device`, {
    method: 'POST',
    headers: { origin: server.url, cookie },
    body: new URLSearchParams({ csrf: hidden(confirm, 'csrf'), code: hidden(confirm, 'code'), decision }),
  });
  return done.text();
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
