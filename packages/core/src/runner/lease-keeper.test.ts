import type { ControlRequest, LeaseRenewResponse } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { deferred, type Deferred } from '../../test/deferred.js';
import { ManualClock, until } from '../../test/manual-clock.js';
import { ApiError } from '../client/api-error.js';
import { CoordError } from '../errors.js';
import { createLeaseKeeper } from './lease-keeper.js';

function harness() {
  const clock = new ManualClock();
  const renewals: Array<Deferred<LeaseRenewResponse>> = [];
  const controls: ControlRequest[] = [];
  const gone: unknown[] = [];
  const errors: unknown[] = [];
  const keeper = createLeaseKeeper({
    clock,
    renewMs: 15_000,
    renew: () => {
      const answer = deferred<LeaseRenewResponse>();
      renewals.push(answer);
      return answer.promise;
    },
    onControls: (c) => controls.push(...c),
    onGone: (error) => gone.push(error),
    reportError: (error) => errors.push(error),
  });
  return { clock, renewals, controls, gone, errors, keeper };
}

const renewed = (controls: ControlRequest[] = []): LeaseRenewResponse => ({
  leaseExpiresAt: '2030-01-01T00:00:00.000Z',
  controls,
});

describe('the lease keeper', () => {
  it('renews on its timer and passes on the controls each renewal brings', async () => {
    const h = harness();
    h.keeper.start();
    h.clock.advance(14_999);
    expect(h.renewals).toHaveLength(0);
    h.clock.advance(1);
    expect(h.renewals).toHaveLength(1);
    h.renewals[0]!.resolve(renewed([{ type: 'cancel', reason: 'no longer needed' }]));
    await until(() => h.clock.pendingTimers === 1);
    expect(h.controls).toEqual([{ type: 'cancel', reason: 'no longer needed' }]);
    expect(h.clock.nextTimerIn).toBe(15_000);
    h.keeper.stop();
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('renews at once on a hint, and once more after a renewal in flight', async () => {
    const h = harness();
    h.keeper.start();
    h.keeper.renewNow();
    expect(h.renewals).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
    h.keeper.renewNow();
    h.keeper.renewNow();
    h.renewals[0]!.resolve(renewed());
    await until(() => h.renewals.length === 2);
    h.renewals[1]!.resolve(renewed());
    await until(() => h.clock.pendingTimers === 1);
    expect(h.renewals).toHaveLength(2);
    h.keeper.stop();
  });

  it('keeps renewing through an outage, and ends when the server gave the lease away', async () => {
    const h = harness();
    h.keeper.start();
    h.clock.advance(15_000);
    const outage = new CoordError('api.network', 'connection refused', { retryable: true });
    h.renewals[0]!.reject(outage);
    await until(() => h.clock.pendingTimers === 1);
    expect(h.errors).toEqual([outage]);
    h.clock.advance(15_000);
    const lost = new ApiError(
      {
        code: 'lease.lost',
        status: 409,
        method: 'POST',
        path: '/v1/attempts/a/lease',
        serverCode: 'lease.lost',
      },
      'lease lost',
      { retryable: false },
    );
    h.renewals[1]!.reject(lost);
    await until(() => h.gone.length === 1);
    expect(h.gone).toEqual([lost]);
    expect(h.clock.pendingTimers).toBe(0);
    h.keeper.renewNow();
    expect(h.renewals).toHaveLength(2);
  });

  it('drops the controls of a renewal that ends after the attempt did', async () => {
    const h = harness();
    h.keeper.renewNow();
    h.keeper.stop();
    h.renewals[0]!.resolve(renewed([{ type: 'stop' }]));
    await new Promise((r) => setImmediate(r));
    expect(h.controls).toEqual([]);
    expect(h.clock.pendingTimers).toBe(0);
  });
});
