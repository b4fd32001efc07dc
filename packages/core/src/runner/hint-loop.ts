import type { RunnerHint } from '@coord/runner-protocol';
import { isCoordError } from '../errors.js';
import { backoffDelayMs, serverBackoff } from '../retry.js';
import type { Clock } from './ports.js';
import { isSignedOut } from './refusal.js';
import { createSleeper } from './sleeper.js';

export interface HintLoopOptions {
  clock: Clock;
  /** Opens the server's push hint stream; `onOpen` is called once it is connected. */
  hints(signal: AbortSignal, onOpen: () => void): AsyncIterable<RunnerHint>;
  /** The server says a control waits for this attempt. */
  onHint(attemptId: string): void;
  /** The stream (re)opened: whatever was hinted while it was down is fetched now. */
  onOpen(): void;
  /** The server refuses the token: the runner signs out; resolves once signed in again. */
  onSignedOut(error: unknown): Promise<void>;
}

export interface HintLoop {
  /** Listens until stopped, reconnecting with backoff; ends at once on a server without hints. */
  run(): Promise<void>;
  stop(): void;
}

/**
 * Push hints: the server says a control (cancel, stop, an answer) waits for an attempt, so the
 * runner renews its lease now to fetch it instead of at the next renewal.
 */
export function createHintLoop(options: HintLoopOptions): HintLoop {
  const sleeper = createSleeper(options.clock);
  let stopped = false;
  let inFlight: AbortController | null = null;

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      inFlight = new AbortController();
      try {
        for await (const hint of options.hints(inFlight.signal, options.onOpen)) {
          failures = 0;
          options.onHint(hint.attemptId);
        }
      } catch (error) {
        if (stopped) break;
        if (isSignedOut(error)) {
          await sleeper.until(options.onSignedOut(error));
          failures = 0;
          continue;
        }
        // A server without hints: lease renewals poll for what hints would have said.
        if (isCoordError(error) && !error.retryable) return;
        failures += 1;
      } finally {
        inFlight = null;
      }
      if (!stopped) await sleeper.sleep(backoffDelayMs(serverBackoff, failures, options.clock.random));
    }
  }

  return {
    run,
    stop() {
      stopped = true;
      inFlight?.abort();
      sleeper.wakeAll();
    },
  };
}
