import { isCoordError, type CoordError } from '../errors.js';
import { backoffDelayMs, serverBackoff } from '../retry.js';
import type { Clock } from './ports.js';
import { isSignedOut } from './refusal.js';
import { createSleeper } from './sleeper.js';

export interface ClaimLoopOptions {
  clock: Clock;
  /** How many attempts may run at once: no claim is made while they all run. */
  capacity: number;
  activeAttemptIds(): string[];
  /** One long-polling claim; resolves with the raw assignment, or null when none came. */
  claim(activeAttemptIds: string[], signal: AbortSignal): Promise<unknown>;
  onAssignment(raw: unknown): void;
  /** The server stopped answering (`offline`, on the first failure) or answers again (`online`). */
  onConnection(state: 'offline' | 'online'): void;
  /**
   * The server refuses the token: told the failure (the runner signs out), claims wait for this
   * to resolve (signed in again), then go on.
   */
  onSignedOut(error: CoordError): Promise<void>;
  /** A failure retrying cannot help (an unsupported API): the loop has ended. */
  onFatal(error: CoordError): void;
  reportError(error: unknown): void;
}

export interface ClaimLoop {
  /** Claims until stopped; resolves once stopped. */
  run(): Promise<void>;
  /** An attempt ended: there may be room for another. */
  slotFreed(): void;
  /** Claims no more: cuts the claim in flight and any backoff short. */
  stop(): void;
}

/** Asks the server for work whenever there is room, backing off while it cannot be reached. */
export function createClaimLoop(options: ClaimLoopOptions): ClaimLoop {
  const { clock } = options;
  const sleeper = createSleeper(clock);
  let stopped = false;
  let inFlight: AbortController | null = null;
  let slotWaiter: (() => void) | null = null;

  const slotFreed = () => {
    const wake = slotWaiter;
    slotWaiter = null;
    wake?.();
  };

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      const active = options.activeAttemptIds();
      if (active.length >= options.capacity) {
        await new Promise<void>((resolve) => (slotWaiter = resolve));
        continue;
      }
      inFlight = new AbortController();
      try {
        const raw = await options.claim(active, inFlight.signal);
        if (failures > 0) {
          failures = 0;
          options.onConnection('online');
        }
        if (raw !== null && raw !== undefined) options.onAssignment(raw);
      } catch (error) {
        if (stopped) break;
        if (isSignedOut(error)) {
          // No claim on a refused token; the runner says so (a status, not an error per try).
          await sleeper.until(options.onSignedOut(error as CoordError));
          // The status says signed in again now; an outage after this is a new one, said anew.
          failures = 0;
          continue;
        }
        if (isFatal(error)) {
          options.reportError(error);
          stopped = true;
          options.onFatal(error);
          break;
        }
        failures += 1;
        options.reportError(error);
        if (failures === 1) options.onConnection('offline');
        await sleeper.sleep(backoffDelayMs(serverBackoff, failures, clock.random));
      } finally {
        inFlight = null;
      }
    }
  }

  return {
    run,
    slotFreed,
    stop() {
      stopped = true;
      inFlight?.abort();
      sleeper.wakeAll();
      slotFreed();
    },
  };
}

/** Retrying cannot help: the server speaks an API this runner does not. */
function isFatal(error: unknown): error is CoordError {
  return isCoordError(error) && error.code === 'api.unsupported_version';
}
