import type { CoordClient } from '../client/coord-client.js';
import type { Clock } from './ports.js';

/** How long a stopping runner waits for the server to note it offline; then it stops anyway. */
export const SIGN_OFF_TIMEOUT_MS = 2_000;

/**
 * Tells the server this runner is gone, as the last step of a stop, so that nobody is told a
 * Ready job waits for it. Best effort: a server that does not answer (an outage, a sign-out)
 * counts the runner offline once its online window has passed, as it does for a killed runner.
 */
export async function signOff(
  client: Pick<CoordClient, 'goOffline'>,
  runnerId: string,
  clock: Clock,
  timeoutMs = SIGN_OFF_TIMEOUT_MS,
): Promise<void> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), timeoutMs);
  try {
    await client.goOffline(runnerId, controller.signal);
  } catch {
    // The online window covers it.
  } finally {
    clock.clearTimeout(timer);
  }
}
