import type { Clock } from './ports.js';

/** Waits on the injected clock that a stop cuts short (`wakeAll`), so a stopping runner ends at once. */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
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
    wakeAll() {
      for (const wake of [...sleepers]) wake();
    },
  };
}
