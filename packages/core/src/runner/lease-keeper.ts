import type { ControlRequest, LeaseRenewResponse } from '@coord/runner-protocol';
import type { Clock } from './ports.js';
import { classifyRefusal } from './refusal.js';

export interface LeaseKeeperOptions {
  clock: Clock;
  /** How long after a renewal the next one is made. */
  renewMs: number;
  /** One renewal; its answer carries the controls people sent (cancel, stop, answers). */
  renew(): Promise<LeaseRenewResponse>;
  onControls(controls: ControlRequest[]): void;
  /** The server gave the attempt away or refuses it for good: renewals end. */
  onGone(error: unknown): void;
  /** A renewal failed but the lease may still hold (an outage): the next one tries again. */
  reportError(error: unknown): void;
}

export interface LeaseKeeper {
  /** Schedules the first renewal. */
  start(): void;
  /** Renews now (a hint said a control waits), or right after the renewal in flight. */
  renewNow(): void;
  stop(): void;
}

/** Keeps one attempt's lease: renews it on a timer, and passes on the controls each renewal brings. */
export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { clock } = options;
  let timer: unknown = null;
  let stopped = false;
  /** A renewal is in flight; `again` asks for another as soon as it ends (a hint came in). */
  let renewing = false;
  let again = false;

  const schedule = () => {
    timer = clock.setTimeout(() => void renew(), options.renewMs);
  };

  async function renew(): Promise<void> {
    if (stopped) return;
    renewing = true;
    try {
      const { controls } = await options.renew();
      if (!stopped) options.onControls(controls);
    } catch (error) {
      if (classifyRefusal(error) === 'gone') {
        stopped = true;
        options.onGone(error);
        return;
      }
      options.reportError(error);
    } finally {
      renewing = false;
    }
    if (stopped) return;
    if (again) {
      again = false;
      void renew();
    } else {
      schedule();
    }
  }

  return {
    start: schedule,
    renewNow() {
      if (stopped) return;
      if (renewing) {
        again = true;
        return;
      }
      clock.clearTimeout(timer);
      void renew();
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
