import { describe, expect, it } from 'vitest';
import { flush, ManualClock, until } from '../../test/manual-clock.js';
import { ApiError } from '../client/api-error.js';
import { CoordError } from '../errors.js';
import { createSignIn, type Credentials } from './sign-in.js';

const refused = () =>
  new ApiError(
    {
      code: 'auth.invalid_token',
      status: 401,
      method: 'POST',
      path: '/v1/x',
      serverCode: 'auth.invalid_token',
    },
    'POST /v1/x failed with 401 auth.invalid_token: Unknown token',
    { retryable: false },
  );

/** A connection whose token the test revokes and replaces, like a person running `login`. */
function harness(credentials: Credentials | undefined = undefined) {
  const clock = new ManualClock();
  const accepted = new Set(['token-new']);
  let inUse = 'token-old';
  let saved: string | null = 'token-old';
  const server = { down: false };
  const said: string[] = [];
  const errors: unknown[] = [];
  const signIn = createSignIn({
    clock,
    pollMs: 5_000,
    credentials: credentials ?? { read: () => saved },
    useToken: (token) => {
      if (token === inUse) return false;
      inUse = token;
      return true;
    },
    probe: () =>
      server.down
        ? Promise.reject(new CoordError('api.network', 'connection refused', { retryable: true }))
        : accepted.has(inUse)
          ? Promise.resolve({})
          : Promise.reject(refused()),
    onSignedOut: (message) => said.push(`out: ${message}`),
    onSignedIn: (message) => said.push(`in: ${message}`),
    reportError: (error) => errors.push(error),
  });
  return {
    clock,
    signIn,
    said,
    errors,
    accepted,
    server,
    inUse: () => inUse,
    save: (token: string | null) => (saved = token),
  };
}

describe('sign-in', () => {
  it('signs out on a refused token, saying what to do and never the token', async () => {
    const h = harness();
    expect(h.signIn.observe(new CoordError('api.network', 'down', { retryable: true }))).toBe(false);
    expect(h.signIn.signedOut).toBe(false);
    expect(h.signIn.observe(refused())).toBe(true);
    expect(h.signIn.signedOut).toBe(true);
    // Said once, however many calls meet the refusal.
    expect(h.signIn.observe(refused())).toBe(true);
    expect(h.said).toHaveLength(1);
    expect(h.said[0]).toContain('run `coord-runner login`');
    expect(h.said[0]).not.toContain('token-old');
  });

  it('reads the credentials on a timer while signed out and goes on once they hold a working token', async () => {
    const h = harness();
    h.signIn.observe(refused());
    let woken = false;
    void h.signIn.whenSignedIn().then(() => (woken = true));
    // The same token the server refused is not tried again.
    h.clock.advance(5_000);
    await flush();
    expect(h.signIn.signedOut).toBe(true);
    expect(h.clock.nextTimerIn).toBe(5_000);
    // A token the server refuses too: still signed out, and still looking.
    h.save('token-bad');
    h.clock.advance(5_000);
    await until(() => h.inUse() === 'token-bad');
    await flush();
    expect(h.signIn.signedOut).toBe(true);
    expect(woken).toBe(false);
    expect(h.clock.nextTimerIn).toBe(5_000);
    // The person signs in.
    h.save('token-new');
    h.clock.advance(5_000);
    await until(() => woken);
    expect(h.signIn.signedOut).toBe(false);
    expect(h.inUse()).toBe('token-new');
    expect(h.said.at(-1)).toMatch(/^in: Signed in again/);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.errors).toEqual([]);
  });

  it('checks at once when asked (a status call after `login`), without waiting for the timer', async () => {
    const h = harness();
    h.signIn.observe(refused());
    expect(await h.signIn.check()).toBe(false);
    h.save('token-new');
    expect(await h.signIn.check()).toBe(true);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('goes on with a new token the server cannot judge now (an outage): a refusal signs out again', async () => {
    const h = harness();
    h.signIn.observe(refused());
    h.save('token-unsure');
    h.server.down = true;
    expect(await h.signIn.check()).toBe(true);
    expect(h.inUse()).toBe('token-unsure');
    expect(h.errors).toMatchObject([{ code: 'api.network' }]);
    expect(h.signIn.observe(refused())).toBe(true);
    expect(h.signIn.signedOut).toBe(true);
  });

  it('without credentials it stays signed out until stopped, and a stop ends every wait', async () => {
    const h = harness({ read: () => null, signInHint: 'put a new token in /run/token' });
    h.signIn.observe(refused());
    expect(h.said[0]).toContain('put a new token in /run/token');
    const waiting = h.signIn.whenSignedIn();
    h.clock.advance(60_000);
    expect(await h.signIn.check()).toBe(false);
    h.signIn.stop();
    await waiting;
    expect(h.clock.pendingTimers).toBe(0);
  });
});
