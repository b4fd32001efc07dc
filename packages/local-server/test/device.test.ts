import { deviceAuthorizationSchema, deviceTokenResponseSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import type { ServerTimings } from '../src/config.js';
import { createAccount } from '../src/index.js';
import { apiFor, signIn, startServer } from './helpers.js';

async function setup(timings: Partial<ServerTimings> = {}) {
  const { server, api } = await startServer({ devicePollMs: 1_000, ...timings });
  const anonymous = apiFor(server, null as unknown as string);
  const authorize = async () => {
    const res = await anonymous(
      'POST',
      '/v1/device/authorize',
      { clientName: 'runner on build-box' },
      { token: null },
    );
    expect(res.status).toBe(200);
    return deviceAuthorizationSchema.parse(res.body);
  };
  const poll = (deviceCode: string) => anonymous('POST', '/v1/device/token', { deviceCode }, { token: null });
  return { server, api, anonymous, authorize, poll };
}

describe('device sign-in', () => {
  it('gives a runner a code without a token, and a token of the approving account once approved', async () => {
    const { server, api, authorize, poll } = await setup();
    const started = await authorize();
    expect(started.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(started.verificationUri).toBe(`${server.url}/device`);
    expect(started.verificationUriComplete).toBe(`${server.url}/device?code=${started.userCode}`);

    expect((await poll(started.deviceCode)).body.error.code).toBe('device.authorization_pending');
    // Polling again at once is too often.
    expect((await poll(started.deviceCode)).body.error.code).toBe('device.slow_down');

    const browser = await signIn(server);
    // The link the runner prints opens the app's device page, which looks the code up.
    expect(
      (
        await browser.get(
          new URL(started.verificationUriComplete).pathname + new URL(started.verificationUriComplete).search,
        )
      ).status,
    ).toBe(200);
    const typed = encodeURIComponent(started.userCode.toLowerCase().replace('-', ' '));
    const confirm = await browser.json('GET', `/device?code=${typed}`);
    expect(confirm.status).toBe(200);
    expect(confirm.body.device).toMatchObject({
      clientName: 'runner on build-box',
      userCode: started.userCode,
    });
    const approved = await browser.json('POST', '/device', { code: started.userCode, decision: 'approve' });
    expect(approved).toEqual({ status: 200, body: { approved: true } });

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const granted = await poll(started.deviceCode);
    expect(granted.status).toBe(200);
    const { token, account } = deviceTokenResponseSchema.parse(granted.body);
    expect(account).toEqual({ id: 'local', name: 'local' });
    expect(token).not.toBe(server.token);
    expect((await api('GET', '/v1/me', undefined, { token })).status).toBe(200);
    // Given once: the code is spent.
    expect((await poll(started.deviceCode)).body.error.code).toBe('device.invalid_code');

    // Signing out revokes the device token, never the account's first one.
    expect((await api('POST', '/v1/me/sign-out', {}, { token })).body).toEqual({ revoked: true });
    expect((await api('GET', '/v1/me', undefined, { token })).status).toBe(401);
    expect((await api('POST', '/v1/me/sign-out', {})).body).toEqual({ revoked: false });
    expect((await api('GET', '/v1/me')).status).toBe(200);
  });

  it('a denial reaches the runner, and a used or unknown code is refused on the page', async () => {
    const { server, authorize, poll } = await setup();
    const started = await authorize();
    const other = createAccount(server.store, { name: 'bob' });
    const browser = await signIn(server, other.token);
    const denied = await browser.json('POST', '/device', { code: started.userCode, decision: 'deny' });
    expect(denied).toEqual({ status: 200, body: { approved: false } });
    expect((await poll(started.deviceCode)).body.error.code).toBe('device.denied');
    expect((await browser.json('GET', `/device?code=${started.userCode}`)).status).toBe(404);
    expect((await browser.json('GET', '/device?code=BBBB-BBBB')).status).toBe(404);
    expect((await browser.json('GET', '/device?code=nonsense')).status).toBe(400);
    const again = await browser.json('POST', '/device', { code: started.userCode, decision: 'approve' });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('device.invalid_code');
  });

  it('needs a signed-in person, the CSRF token and our own origin to approve', async () => {
    const { server, authorize, poll } = await setup();
    const started = await authorize();
    const page = await fetch(`${server.url}/device?code=${started.userCode}`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toContain('/sign-in?next=');
    expect((await fetch(`${server.url}/api/device?code=${started.userCode}`)).status).toBe(401);
    const browser = await signIn(server);
    const body = { code: started.userCode, decision: 'approve' };
    expect((await browser.call('POST', '/device', body, { 'x-coord-csrf': '' })).status).toBe(403);
    expect((await browser.call('POST', '/device', body, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await browser.call('POST', '/device', body, { origin: '' })).status).toBe(403);
    expect(
      (
        await browser.call('POST', '/device', new URLSearchParams(body).toString(), {
          'content-type': 'application/x-www-form-urlencoded',
        })
      ).status,
    ).toBe(415);
    expect((await poll(started.deviceCode)).body.error.code).toBe('device.authorization_pending');
  });

  it('a code nobody approves expires', async () => {
    const { server, authorize, poll } = await setup({ deviceCodeTtlMs: 200 });
    const started = await authorize();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await poll(started.deviceCode)).body.error.code).toBe('device.expired');
    const browser = await signIn(server);
    expect((await browser.json('GET', `/device?code=${started.userCode}`)).status).toBe(404);
  });
});
