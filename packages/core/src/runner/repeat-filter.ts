import type { Clock } from './ports.js';

/** How long the same error stays quiet after it was reported. */
export const REPEAT_QUIET_MS = 60_000;
/** At most this many distinct errors are remembered; beyond it, memory starts over. */
const MAX_REMEMBERED = 200;

/**
 * Says whether an error is news: not the same one (code and message) reported within the last
 * `quietMs`. Through an outage every retry of every loop (claims, uploads, renewals) fails the
 * same way; the status says the runner is offline, and one line a minute says it still fails.
 */
export function createRepeatFilter(clock: Clock, quietMs = REPEAT_QUIET_MS) {
  const reportedAt = new Map<string, number>();
  return {
    isNews(error: { code: string; message: string }): boolean {
      const key = `${error.code}\n${error.message}`;
      const now = clock.now();
      const last = reportedAt.get(key);
      if (last !== undefined && now - last < quietMs) return false;
      if (reportedAt.size >= MAX_REMEMBERED) reportedAt.clear();
      reportedAt.set(key, now);
      return true;
    },
  };
}
