import { describe, expect, it } from 'vitest';
import { CoordError } from './errors.js';
import { backoffDelayMs, retryTransient } from './retry.js';

const fast = { minDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 2_000 };
const transient = () =>
  new CoordError('git.push_failed', 'Push failed: connection refused', { retryable: true });

function failing(times: number, error: () => unknown = transient) {
  let calls = 0;
  const run = () => {
    calls += 1;
    return calls <= times ? Promise.reject(error()) : Promise.resolve(`ok after ${calls}`);
  };
  return { run, calls: () => calls };
}

describe('retryTransient', () => {
  it('tries again after retryable failures until it succeeds, telling each retry', async () => {
    const { run, calls } = failing(3);
    const retries: number[] = [];
    const result = await retryTransient(run, {
      what: 'Pushing',
      signal: new AbortController().signal,
      policy: fast,
      onRetry: (_error, next) => retries.push(next),
    });
    expect(result).toBe('ok after 4');
    expect(calls()).toBe(4);
    expect(retries).toEqual([2, 3, 4]);
  });

  it('throws a failure that is not retryable at once', async () => {
    const refused = new CoordError('git.pr_failed', 'HTTP 401', { retryable: false });
    const { run, calls } = failing(5, () => refused);
    await expect(
      retryTransient(run, { what: 'x', signal: new AbortController().signal, policy: fast }),
    ).rejects.toBe(refused);
    expect(calls()).toBe(1);
  });

  it('throws anything that is not a CoordError at once', async () => {
    const { run, calls } = failing(5, () => new Error('a bug'));
    await expect(
      retryTransient(run, { what: 'x', signal: new AbortController().signal, policy: fast }),
    ).rejects.toThrow('a bug');
    expect(calls()).toBe(1);
  });

  it('gives up once its time is up, with a retryable error that says how long it tried', async () => {
    const { run, calls } = failing(Number.POSITIVE_INFINITY);
    const error = (await retryTransient(run, {
      what: 'x',
      signal: new AbortController().signal,
      policy: { minDelayMs: 10, maxDelayMs: 20, maxElapsedMs: 150 },
    }).catch((e: unknown) => e)) as CoordError;
    expect(error).toBeInstanceOf(CoordError);
    expect(error).toMatchObject({ code: 'git.push_failed', retryable: true });
    expect(error.message).toMatch(/connection refused \(gave up after \d+ tries in \d+ s\)$/);
    expect(calls()).toBeGreaterThan(2);
  });

  it('stops waiting at once when the signal aborts, as job.cancelled', async () => {
    const controller = new AbortController();
    const { run, calls } = failing(Number.POSITIVE_INFINITY);
    const started = Date.now();
    const pending = retryTransient(run, {
      what: 'Pushing',
      signal: controller.signal,
      policy: { minDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: 600_000 },
      onRetry: () => setTimeout(() => controller.abort(), 10),
    });
    await expect(pending).rejects.toMatchObject({ code: 'job.cancelled', message: 'Pushing was cancelled.' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(calls()).toBe(1);
  });

  it('waits as long as the other side asked (Retry-After) instead of its own backoff', async () => {
    const { run, calls } = failing(1);
    const started = Date.now();
    await retryTransient(run, {
      what: 'x',
      signal: new AbortController().signal,
      policy: { minDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: 120_000 },
      retryAfterMs: () => 300,
    });
    const waited = Date.now() - started;
    expect(calls()).toBe(2);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(5_000);
  });

  it('does not wait for a Retry-After longer than the time it has left', async () => {
    const { run, calls } = failing(1);
    const error = await retryTransient(run, {
      what: 'x',
      signal: new AbortController().signal,
      policy: { maxElapsedMs: 1_000 },
      retryAfterMs: () => 60_000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'git.push_failed', retryable: true });
    expect(calls()).toBe(1);
  });
});

describe('backoffDelayMs', () => {
  const policy = { minDelayMs: 500, maxDelayMs: 30_000 };

  it('doubles from the first delay and stops at the longest', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelayMs(policy, n, none))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('spreads each wait over one to two times its base (jitter), never past the cap', () => {
    expect(backoffDelayMs(policy, 1, () => 0.5)).toBe(750);
    expect(backoffDelayMs(policy, 1, () => 0.999)).toBe(1_000);
    expect(backoffDelayMs(policy, 6, () => 0.999)).toBe(30_000);
  });

  it('treats a first call with 0 like the first retry, and huge counts without overflow', () => {
    expect(backoffDelayMs(policy, 0, () => 0)).toBe(500);
    expect(backoffDelayMs(policy, 10_000, () => 0)).toBe(30_000);
  });
});
