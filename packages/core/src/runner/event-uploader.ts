import { MAX_EVENTS_PER_BATCH } from '@coord/runner-protocol';
import type { CoordClient } from '../client/coord-client.js';
import { CoordError, isCoordError } from '../errors.js';
import type { EventSpool } from '../store/event-spool.js';
import type { Clock } from './ports.js';

export interface EventUploaderOptions {
  client: CoordClient;
  spool: EventSpool;
  runnerId: string;
  attemptId: string;
  clock: Clock;
  /** Send at most this long after an event is written (default 250 ms). */
  intervalMs: number;
  /** Send at once when this many events wait (default 500). */
  maxBatch: number;
  /** Told about upload failures (the uploader keeps retrying; nothing is dropped). */
  onError: (error: unknown) => void;
  /** Told when the server says the lease is gone: stop sending for this attempt. */
  onLeaseLost: () => void;
}

/**
 * Uploads one attempt's spooled events in batches, one request at a time, resuming after the
 * server's ack. Failures back off and retry from the ack, so an outage delays events, never loses them.
 */
export interface EventUploader {
  /** Tells the uploader that new events were spooled. */
  notify(): void;
  /** Resolves once the server holds every event spooled so far; rejects if the lease is lost. */
  drain(): Promise<void>;
  stop(): void;
  readonly acked: number;
}

export function createEventUploader(options: EventUploaderOptions): EventUploader {
  const { client, spool, runnerId, attemptId, clock } = options;
  const maxBatch = Math.min(options.maxBatch, MAX_EVENTS_PER_BATCH);
  let acked = 0;
  let timer: unknown = null;
  /**
   * True while a send loop runs. A flag, not the loop's promise: a loop with nothing to send
   * finishes synchronously, before its promise could be stored, and would leave it set forever.
   */
  let sending = false;
  let stopped = false;
  /** The server's lease.lost error, once it came: later drains reject with it too. */
  let leaseLost: unknown = null;
  let failures = 0;
  let waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  const pending = () => spool.lastSeq(attemptId) - acked;

  function schedule(delayMs: number): void {
    if (stopped || timer !== null || sending) return;
    timer = clock.setTimeout(() => {
      timer = null;
      void send();
    }, delayMs);
  }

  async function send(): Promise<void> {
    if (stopped || sending) return;
    sending = true;
    try {
      while (!stopped && pending() > 0) {
        const batch = spool.read(attemptId, acked, maxBatch);
        if (batch[0]?.seq !== acked + 1) {
          // The server holds less than it once acknowledged, and the spool no longer has the rest:
          // back off and say so, rather than resend the same batch in a tight loop.
          throw new CoordError(
            'store.failed',
            `The event spool of attempt ${attemptId} no longer holds event ${acked + 1}, which the server needs`,
            { retryable: true },
          );
        }
        const ack = await client.uploadEvents(runnerId, attemptId, batch);
        // The server's ack is the truth: it may be below what we sent (a gap) or above (a retry).
        acked = Math.min(ack, spool.lastSeq(attemptId));
        spool.release(attemptId, acked);
        failures = 0;
      }
    } catch (error) {
      if (isCoordError(error) && error.code === 'lease.lost') {
        leaseLost = error;
        stopped = true;
        options.onLeaseLost();
        settle(error);
        return;
      }
      failures += 1;
      options.onError(error);
    } finally {
      sending = false;
    }
    if (pending() === 0) settle();
    else if (!stopped) schedule(backoff(failures, options.intervalMs));
  }

  function settle(error?: unknown): void {
    const current = waiters;
    waiters = [];
    for (const w of current) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  return {
    get acked() {
      return acked;
    },
    notify() {
      if (pending() >= maxBatch) void send();
      else schedule(options.intervalMs);
    },
    drain() {
      if (leaseLost) return Promise.reject(leaseLost);
      if (pending() === 0) return Promise.resolve();
      const done = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      if (timer !== null) {
        clock.clearTimeout(timer);
        timer = null;
      }
      void send();
      return done;
    },
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}

/** Exponential backoff with full jitter, capped at 30 s; the first retry comes soon. */
function backoff(failures: number, baseMs: number): number {
  if (failures === 0) return baseMs;
  const cap = Math.min(30_000, Math.max(250, baseMs) * 2 ** Math.min(failures, 7));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}
