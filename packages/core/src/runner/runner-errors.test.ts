import { describe, expect, it } from 'vitest';
import { FakeCoordServer, quietHints, testRegistration, testRunner } from '../../test/fake-ports.js';
import { ManualClock, until } from '../../test/manual-clock.js';
import { CoordError } from '../errors.js';
import type { RunnerEvent } from '../events/runner-event.js';

describe('a runner through a long outage', () => {
  it('reports the same failure once a minute, not once a try, and a new one at once', async () => {
    const server = new FakeCoordServer();
    const clock = new ManualClock();
    let failure = new CoordError('api.network', 'connect ECONNREFUSED 127.0.0.1:7420', { retryable: true });
    let claims = 0;
    const client = {
      ...server.client,
      register: () => Promise.resolve(testRegistration),
      claim: () => {
        claims += 1;
        return Promise.reject(failure);
      },
      hints: quietHints,
    } as unknown as typeof server.client;
    const runner = testRunner(client, clock);
    const errors: string[] = [];
    runner.events$.subscribe((event: RunnerEvent) => {
      if (event.type === 'runner.error') errors.push(event.error.message);
    });
    await runner.start();

    /** Lets the claim loop fail `tries` more times, each after its backoff. */
    const fail = async (tries: number) => {
      for (let i = 0; i < tries; i++) {
        const before = claims;
        await until(() => clock.pendingTimers > 0);
        clock.advance(clock.nextTimerIn!);
        await until(() => claims === before + 1);
      }
    };
    await until(() => claims === 1);
    await fail(4);
    expect(claims).toBe(5);
    expect(errors).toEqual([failure.message]);

    // Another failure is news at once; the first again only once a minute has passed.
    const refused = failure;
    failure = new CoordError('api.http_error', 'POST /claim answered 502 Bad Gateway', { retryable: true });
    await fail(1);
    expect(errors).toEqual([refused.message, failure.message]);
    failure = refused;
    await fail(1);
    expect(errors).toHaveLength(2);
    clock.advance(60_000);
    await fail(2);
    expect(errors).toEqual([refused.message, expect.stringContaining('502'), refused.message]);

    await runner.stop({ mode: 'force' });
  });
});
