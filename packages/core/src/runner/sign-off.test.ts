import { describe, expect, it } from 'vitest';
import { FakeCoordServer, testRegistration, testRunner } from '../../test/fake-ports.js';
import { flush, ManualClock } from '../../test/manual-clock.js';
import { signOff, SIGN_OFF_TIMEOUT_MS } from './sign-off.js';

describe('signOff', () => {
  it('tells the server the runner is offline', async () => {
    const calls: string[] = [];
    const clock = new ManualClock();
    await signOff({ goOffline: (runnerId) => (calls.push(runnerId), Promise.resolve()) }, 'run-1', clock);
    expect(calls).toEqual(['run-1']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives up on a server that does not answer, and on one that refuses: the stop goes on', async () => {
    const clock = new ManualClock();
    let aborted = false;
    const hanging = signOff(
      {
        goOffline: (_runnerId, signal) =>
          new Promise((_resolve, reject) =>
            signal?.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted')))),
          ),
      },
      'run-1',
      clock,
    );
    clock.advance(SIGN_OFF_TIMEOUT_MS - 1);
    await flush();
    expect(aborted).toBe(false);
    clock.advance(1);
    await expect(hanging).resolves.toBeUndefined();
    expect(aborted).toBe(true);
    await expect(
      signOff({ goOffline: () => Promise.reject(new Error('401')) }, 'run-1', clock),
    ).resolves.toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('a stopping runner', () => {
  it('signs off once, as the last thing it does', async () => {
    const server = new FakeCoordServer();
    const offline: string[] = [];
    let claimsOpen = 0;
    const client = {
      ...server.client,
      register: () => Promise.resolve(testRegistration),
      claim: (_runnerId: string, _request: unknown, signal: AbortSignal) => {
        claimsOpen += 1;
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => ((claimsOpen -= 1), reject(new Error('aborted')))),
        );
      },
      goOffline: (runnerId: string) => {
        // The claim it had open is given up first: nothing of it could count it online again.
        expect(claimsOpen).toBe(0);
        offline.push(runnerId);
        return Promise.resolve();
      },
    } as unknown as typeof server.client;
    const runner = testRunner(client, new ManualClock());
    const statuses: string[] = [];
    runner.events$.subscribe((event) => {
      if (event.type === 'runner.status')
        statuses.push(`${event.status}${offline.length ? ' (signed off)' : ''}`);
    });
    await runner.start();
    await flush();
    await runner.stop();
    expect(offline).toEqual([testRegistration.runner.id]);
    expect(statuses.at(-1)).toBe('stopped (signed off)');
  });
});
