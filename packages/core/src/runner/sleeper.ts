import type { Clock } from './ports.js';

/** Waits on the injected clock that a stop cuts short (`wakeAll`), so a stopping runner ends at once. */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
  /** Waits for `promise`, or until `wakeAll` (a stop), whichever comes first. */
  until(promise: Promise<unknown>): Promise<void>;
  /** Ends every current wait now. */
  wakeAll(): void;
}

export function createSleeper(clock: Clock): Sleeper {
  const sleepers = new Set<() => void>();
  return {
    sleep(ms) {
      return new Promise((resolve) => {
        const wake = () => {
          clock.clearTimeout(handle);
          sleepers.delete(wake);
          resolve();
        };
        const handle = clock.setTimeout(wake, ms);
        sleepers.add(wake);
      });
    },
    until(promise) {
      return new Promise((resolve) => {
        const wake = () => {
          sleepers.delete(wake);
          resolve();
        };
        sleepers.add(wake);
        void promise.then(wake, wake);
      });
    },
    wakeAll() {
      for (const wake of [...sleepers]) wake();
    },
  };
}
