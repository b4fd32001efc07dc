import type { RunnerHint } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock, until } from '../../test/manual-clock.js';
import { deferred } from '../../test/deferred.js';
import { CoordError } from '../errors.js';
import { createHintLoop } from './hint-loop.js';

/** A hint stream the test feeds: each connection yields pushed hints until it is ended or fails. */
function harness() {
  const clock = new ManualClock();
  const seen: string[] = [];
  let connections = 0;
  let push: ((hint: RunnerHint | Error | null) => void) | null = null;
  let signIn = deferred<void>();
  const loop = createHintLoop({
    clock,
    async *hints(signal, onOpen) {
      connections += 1;
      onOpen();
      const queue: Array<RunnerHint | Error | null> = [];
      let wake: (() => void) | null = null;
      push = (item) => {
        queue.push(item);
        wake?.();
      };
      signal.addEventListener('abort', () => push?.(new Error('aborted')));
      for (;;) {
        if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if (item === null) return;
        if (item instanceof Error) throw item;
        yield item;
      }
    },
    onHint: (attemptId) => seen.push(`hint ${attemptId}`),
    onOpen: () => seen.push('open'),
    onSignedOut: () => {
      seen.push('signed out');
      return signIn.promise;
    },
  });
  const done = loop.run();
  return {
    clock,
    seen,
    loop,
    done,
    connections: () => connections,
    push: (item: RunnerHint | Error | null) => push!(item),
    signInAgain: () => {
      signIn.resolve();
      signIn = deferred<void>();
    },
  };
}

describe('the hint loop', () => {
  it('passes each hint on, and reconnects after the stream fails, renewing everything on open', async () => {
    const h = harness();
    await until(() => h.connections() === 1);
    h.push({ attemptId: 'att-1' } as RunnerHint);
    await until(() => h.seen.length === 2);
    h.push(new CoordError('api.network', 'reset', { retryable: true }));
    await until(() => h.clock.pendingTimers === 1);
    expect(h.clock.nextTimerIn).toBe(500);
    h.clock.advance(500);
    await until(() => h.connections() === 2);
    expect(h.seen).toEqual(['open', 'hint att-1', 'open']);
    h.loop.stop();
    await h.done;
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('gives up for good on a server without hints (polling covers it)', async () => {
    const h = harness();
    await until(() => h.connections() === 1);
    h.push(new CoordError('api.http_error', 'Not Found', { retryable: false }));
    await h.done;
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('waits while the token is refused, and listens again once signed in', async () => {
    const h = harness();
    await until(() => h.connections() === 1);
    h.push(new CoordError('auth.invalid_token', 'refused'));
    await until(() => h.seen.includes('signed out'));
    h.clock.advance(10 * 60_000);
    await new Promise((r) => setImmediate(r));
    expect(h.connections()).toBe(1);
    h.signInAgain();
    await until(() => h.connections() === 2);
    h.loop.stop();
    await h.done;
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('a stop ends the wait for a sign-in', async () => {
    const h = harness();
    await until(() => h.connections() === 1);
    h.push(new CoordError('auth.invalid_token', 'refused'));
    await until(() => h.seen.includes('signed out'));
    h.loop.stop();
    await h.done;
    expect(h.connections()).toBe(1);
  });
});
