import type { DeviceAuthorization } from '@coord/runner-protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redactSecrets } from '../redact.js';
import { signInWithDevice } from './device-sign-in.js';

const authorization: DeviceAuthorization = {
  deviceCode: 'coorddev_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG',
  userCode: 'BCDF-GHJK',
  verificationUri: 'http://127.0.0.1:9/device',
  verificationUriComplete: 'http://127.0.0.1:9/device?code=BCDF-GHJK',
  expiresInS: 60,
  intervalS: 5,
};
const granted = { token: `coord_${'t'.repeat(43)}`, account: { id: 'local', name: 'local' } };
const refusal = (code: string) => ({ status: 400, body: { error: { code, message: code } } });

type Answer = { status: number; body: unknown } | Error;

/** A server answering the polls from a script, recording when each came (fake time). */
function scripted(polls: Answer[]) {
  const pollTimes: number[] = [];
  const fetch = vi.fn(async (url: string | URL | Request) => {
    const path = new URL(String(url)).pathname;
    if (path === '/v1/device/authorize') return Response.json(authorization);
    pollTimes.push(Date.now());
    const answer = polls.shift() ?? refusal('device.authorization_pending');
    if (answer instanceof Error) throw answer;
    return Response.json(answer.body, { status: answer.status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, pollTimes };
}

describe('signInWithDevice', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('shows the code, polls at the interval, slows down when told, and returns the token', async () => {
    const { fetch, pollTimes } = scripted([
      refusal('device.authorization_pending'),
      refusal('device.slow_down'),
      new TypeError('fetch failed'),
      { status: 200, body: granted },
    ]);
    const shown: DeviceAuthorization[] = [];
    const result = signInWithDevice({
      baseUrl: 'http://127.0.0.1:9/',
      clientName: 'box',
      fetch,
      onCode: (a) => shown.push(a),
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await result).toEqual(granted);
    expect(shown).toEqual([authorization]);
    // 5 s, then 5 s, then 10 s after the slow-down (and the network error changed nothing).
    expect(pollTimes).toEqual([5_000, 10_000, 20_000, 30_000]);
    // From now on the token and device code are hidden wherever text leaves the runner.
    expect(redactSecrets(`got ${granted.token} for ${authorization.deviceCode}`)).toBe('got *** for ***');
  });

  it.each([
    ['device.denied', /denied in the web app/],
    ['device.expired', /expired before anyone approved it/],
  ])('fails with auth.sign_in_failed on %s', async (code, message) => {
    const { fetch } = scripted([refusal(code)]);
    const result = signInWithDevice({
      baseUrl: 'http://h',
      clientName: 'box',
      fetch,
      onCode: () => undefined,
    });
    const settled = expect(result).rejects.toMatchObject({
      code: 'auth.sign_in_failed',
      message: expect.stringMatching(message),
    });
    await vi.advanceTimersByTimeAsync(5_000);
    await settled;
  });

  it('gives up when the code runs out while nobody approves', async () => {
    const { fetch, pollTimes } = scripted([]);
    const result = signInWithDevice({
      baseUrl: 'http://h',
      clientName: 'box',
      fetch,
      onCode: () => undefined,
    });
    const settled = expect(result).rejects.toThrow(/expired before anyone approved it/);
    await vi.advanceTimersByTimeAsync(70_000);
    await settled;
    expect(pollTimes.at(-1)).toBeLessThanOrEqual(60_000);
  });

  it('stops at once when aborted', async () => {
    const { fetch, pollTimes } = scripted([]);
    const controller = new AbortController();
    const result = signInWithDevice({
      baseUrl: 'http://h',
      clientName: 'box',
      fetch,
      onCode: () => undefined,
      signal: controller.signal,
    });
    const settled = expect(result).rejects.toThrow(/cancelled/);
    await vi.advanceTimersByTimeAsync(5_000);
    controller.abort();
    await settled;
    expect(pollTimes).toEqual([5_000]);
  });

  it('says to use a token file when the server has no device sign-in', async () => {
    const fetch = vi.fn(async () =>
      Response.json({ error: { code: 'request.not_found', message: 'no' } }, { status: 404 }),
    );
    await expect(
      signInWithDevice({
        baseUrl: 'http://h',
        clientName: 'box',
        fetch: fetch as never,
        onCode: () => undefined,
      }),
    ).rejects.toThrow(/login --token-file/);
  });
});
