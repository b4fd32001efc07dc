import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/deferred.js';
import { FakeCoordServer, testRegistration, testRunner } from '../../test/fake-ports.js';
import { flush, ManualClock } from '../../test/manual-clock.js';
import type { RunnerEvent } from '../events/runner-event.js';

/** A runner whose registration the test answers, counting the claims it makes. */
function runnerWithRegistration() {
  const server = new FakeCoordServer();
  const registered = deferred<unknown>();
  let claims = 0;
  const client = {
    ...server.client,
    register: () => registered.promise,
    claim: (_runnerId: string, _request: unknown, signal: AbortSignal) => {
      claims += 1;
      return new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    },
  } as unknown as typeof server.client;
  const runner = testRunner(client, new ManualClock());
  const events: RunnerEvent[] = [];
  let completed = false;
  runner.events$.subscribe({ next: (event) => events.push(event), complete: () => (completed = true) });
  const registration = testRegistration;
  return { runner, registered, registration, claims: () => claims, events, completed: () => completed };
}

describe('a runner asked to stop while it starts (a signal during start-up)', () => {
  it('before start: start refuses with runner.stopped and registers nothing', async () => {
    const r = runnerWithRegistration();
    await r.runner.stop();
    await expect(r.runner.start()).rejects.toMatchObject({ code: 'runner.stopped' });
    expect(r.completed()).toBe(true);
    expect(r.claims()).toBe(0);
  });

  it('while it registers: no claim loop starts, and the stream has ended', async () => {
    const r = runnerWithRegistration();
    const starting = r.runner.start();
    const stopping = r.runner.stop();
    r.registered.resolve(r.registration);
    await expect(starting).resolves.toMatchObject({ runner: { id: 'run-1' } });
    await stopping;
    await flush();
    expect(r.claims()).toBe(0);
    expect(r.completed()).toBe(true);
    expect(
      r.events.filter((e) => e.type === 'runner.status').map((e) => e.type === 'runner.status' && e.status),
    ).toEqual(['starting', 'stopping', 'stopped']);
  });
});
