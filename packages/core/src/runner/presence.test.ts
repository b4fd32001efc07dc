import type { RunnerPresenceRequest } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { FakeCoordServer, testRegistration, testRunner } from '../../test/fake-ports.js';
import { flush, ManualClock } from '../../test/manual-clock.js';
import { createMemoryEventSpool } from '../store/event-spool.js';
import { PRESENCE_TIMEOUT_MS, signOff, tellPresence } from './presence.js';

describe('tellPresence', () => {
  it('tells the server what the runner is now', async () => {
    const told: string[] = [];
    const clock = new ManualClock();
    const client = {
      setPresence: (runnerId: string, { presence }: RunnerPresenceRequest) => (
        told.push(`${runnerId} ${presence}`),
        Promise.resolve()
      ),
    };
    await tellPresence(client, 'run-1', { presence: 'draining' }, clock);
    await tellPresence(client, 'run-1', { presence: 'offline' }, clock);
    expect(told).toEqual(['run-1 draining', 'run-1 offline']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives up on a server that does not answer, and on one that refuses: the stop goes on', async () => {
    const clock = new ManualClock();
    let aborted = false;
    const hanging = tellPresence(
      {
        setPresence: (_runnerId, _presence, signal) =>
          new Promise((_resolve, reject) =>
            signal?.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted')))),
          ),
      },
      'run-1',
      { presence: 'offline' },
      clock,
    );
    clock.advance(PRESENCE_TIMEOUT_MS - 1);
    await flush();
    expect(aborted).toBe(false);
    clock.advance(1);
    await expect(hanging).resolves.toBeUndefined();
    expect(aborted).toBe(true);
    await expect(
      tellPresence(
        { setPresence: () => Promise.reject(new Error('401')) },
        'run-1',
        { presence: 'offline' },
        clock,
      ),
    ).resolves.toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('signOff', () => {
  it('holds the attempts running and those whose report the spool keeps, once each', () => {
    const spool = createMemoryEventSpool();
    spool.begin({ attemptId: 'att_running', jobId: 'job_1', attemptNumber: 1 });
    spool.begin({ attemptId: 'att_undelivered', jobId: 'job_2', attemptNumber: 1 });
    spool.begin({ attemptId: 'att_delivered', jobId: 'job_3', attemptNumber: 1 });
    spool.finish('att_delivered');
    const request = signOff(['att_running'], spool);
    expect(request.presence).toBe('offline');
    expect(request.holding?.sort()).toEqual(['att_running', 'att_undelivered']);
  });

  it('lists nothing when it holds more than the server takes: then the server releases nothing', () => {
    const many = Array.from({ length: 1001 }, (_, i) => `att_${i}`);
    expect(signOff(many, createMemoryEventSpool())).toEqual({ presence: 'offline' });
  });
});

describe('a stopping runner', () => {
  it('with no job to finish, says it is offline once, as the last thing it does', async () => {
    const server = new FakeCoordServer();
    const told: string[] = [];
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
      setPresence: (runnerId: string, { presence, holding }: RunnerPresenceRequest) => {
        // The claim it had open is given up first: nothing of it could count it online again.
        expect(claimsOpen).toBe(0);
        told.push(`${runnerId} ${presence} holding ${JSON.stringify(holding)}`);
        return Promise.resolve();
      },
    } as unknown as typeof server.client;
    const runner = testRunner(client, new ManualClock());
    const statuses: string[] = [];
    runner.events$.subscribe((event) => {
      if (event.type === 'runner.status') statuses.push(`${event.status}${told.length ? ' (told)' : ''}`);
    });
    await runner.start();
    await flush();
    // A drain with nothing running is a stop: there is nothing to drain.
    await runner.stop({ mode: 'drain' });
    expect(told).toEqual([`${testRegistration.runner.id} offline holding []`]);
    expect(statuses.at(-1)).toBe('stopped (told)');
  });
});
