import type { EventSpool } from '../store/event-spool.js';

/** What the control API reads from a spool: an attempt's log. */
export type SpoolReader = Pick<EventSpool, 'read' | 'lastSeq'>;

/**
 * The logs of a runner with several connections, each spooling into its own directory: an attempt
 * is read from the spool that holds it (attempt ids of different servers are not assumed unique
 * across them, so the first spool holding events wins, in connection order).
 */
export function spoolsReader(spools: readonly EventSpool[]): SpoolReader {
  const holder = (attemptId: string) => spools.find((spool) => spool.lastSeq(attemptId) > 0) ?? spools[0]!;
  return {
    read: (attemptId, afterSeq, limit, maxBytes) =>
      holder(attemptId).read(attemptId, afterSeq, limit, maxBytes),
    lastSeq: (attemptId) => holder(attemptId).lastSeq(attemptId),
  };
}
