import { randomBytes } from 'node:crypto';
import { isCoordError, type CoordError } from '../errors.js';
import { backoffDelayMs, serverBackoff } from '../retry.js';
import type { Clock } from './ports.js';
import { isSignedOut } from './refusal.js';
import { createSleeper } from './sleeper.js';
import type { ClaimTicket } from './slot-pool.js';

export interface ClaimLoopOptions {
  clock: Clock;
  /**
   * Waits for a free slot (shared by every connection of the runner) before each claim; null when
   * `signal` aborts (the loop stopped).
   */
  reserve(signal: AbortSignal): Promise<ClaimTicket | null>;
  activeAttemptIds(): string[];
  /**
   * One long-polling claim within `ticket` (its agents; a short poll when contended); resolves
   * with the raw assignment, or null when none came.
   */
  claim(request: ClaimAsk, ticket: ClaimTicket, signal: AbortSignal): Promise<unknown>;
  /**
   * An assignment came: the ticket is its to fill (or cancel, when it cannot run). Should not
   * throw; a throw is reported, and the loop goes on claiming.
   */
  onAssignment(raw: unknown, ticket: ClaimTicket): void;
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

/** What one claim asks the server, besides its ticket's agents and wait. */
export interface ClaimAsk {
  activeAttemptIds: string[];
  /** The same for every retry of one claim, so an answer lost on the way is given again. */
  claimKey: string;
}

export interface ClaimLoop {
  /** Claims until stopped; resolves once stopped. */
  run(): Promise<void>;
  /** Claims no more: cuts the claim in flight and any backoff short. */
  stop(): void;
}

/** Asks the server for work whenever there is room, backing off while it cannot be reached. */
export function createClaimLoop(options: ClaimLoopOptions): ClaimLoop {
  const { clock } = options;
  const sleeper = createSleeper(clock);
  let stopped = false;
  let inFlight: AbortController | null = null;

  async function run(): Promise<void> {
    let failures = 0;
    // Kept through the failures of one claim, new once the server has answered it.
    let claimKey: string | null = null;
    while (!stopped) {
      inFlight = new AbortController();
      let ticket: ClaimTicket | null = null;
      try {
        ticket = await options.reserve(inFlight.signal);
        if (ticket === null) continue;
        // Stopped while the slot came: no claim goes out.
        if (stopped) {
          ticket.cancel();
          break;
        }
        claimKey ??= newClaimKey();
        const raw = await options.claim(
          { activeAttemptIds: options.activeAttemptIds(), claimKey },
          ticket,
          inFlight.signal,
        );
        claimKey = null;
        if (failures > 0) {
          failures = 0;
          options.onConnection('online');
        }
        const claimed = ticket;
        ticket = null;
        if (raw === null || raw === undefined) claimed.cancel();
        else {
          try {
            options.onAssignment(raw, claimed);
          } catch (error) {
            // A fault in taking the answer up, not in reaching the server: said, and claims go on.
            options.reportError(error);
          }
        }
      } catch (error) {
        // A failed claim holds no slot through its backoff.
        ticket?.cancel();
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
    stop() {
      stopped = true;
      inFlight?.abort();
      sleeper.wakeAll();
    },
  };
}

/** 128 random bits in the protocol's claim key alphabet. */
function newClaimKey(): string {
  return randomBytes(16).toString('base64url');
}

/** Retrying cannot help: the server speaks an API this runner does not. */
function isFatal(error: unknown): error is CoordError {
  return isCoordError(error) && error.code === 'api.unsupported_version';
}
