import { MAX_HELD_ATTEMPTS, type RunnerPresenceRequest } from '@coord/runner-protocol';
import type { CoordClient } from '../client/coord-client.js';
import type { EventSpool } from '../store/event-spool.js';
import type { Clock } from './ports.js';

/** How long a stopping runner waits for the server to take its word; then it goes on anyway. */
export const PRESENCE_TIMEOUT_MS = 2_000;

/**
 * Tells the server, as a stop goes, that this runner drains (at a drain's start, while jobs
 * still run) or is gone (its last step), so that nobody is told a Ready job waits for it. Best
 * effort: a server that does not answer (an outage, a sign-out) counts the runner offline once
 * its online window has passed, as it does for a killed runner.
 */
export async function tellPresence(
  client: Pick<CoordClient, 'setPresence'>,
  runnerId: string,
  request: RunnerPresenceRequest,
  clock: Clock,
  timeoutMs = PRESENCE_TIMEOUT_MS,
): Promise<void> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), timeoutMs);
  try {
    await client.setPresence(runnerId, request, controller.signal);
  } catch {
    // The online window covers it.
  } finally {
    clock.clearTimeout(timer);
  }
}

/**
 * The runner's last word: offline, holding the attempts it runs and those whose report the spool
 * still keeps. The server requeues at once any other it gave this runner: a claim whose answer
 * came as the stop cut its long poll, which would otherwise wait out its lease.
 */
export function signOff(
  activeAttemptIds: Iterable<string>,
  spool: Pick<EventSpool, 'unfinished'>,
): RunnerPresenceRequest {
  const holding = new Set(activeAttemptIds);
  for (const attempt of spool.unfinished()) holding.add(attempt.attemptId);
  // Too many to list: the server releases nothing, and leases decide as before.
  if (holding.size > MAX_HELD_ATTEMPTS) return { presence: 'offline' };
  return { presence: 'offline', holding: [...holding] };
}
