import { MAX_EVENTS_PER_BATCH, type AttemptEvent, type ServerLimits } from '@coord/runner-protocol';
import type { CoordClient } from '../client/coord-client.js';
import { CoordError, toErrorPayload } from '../errors.js';
import { eventLine, type EventSpool } from '../store/event-spool.js';
import { backoffDelayMs, serverBackoff } from '../retry.js';
import type { Clock } from './ports.js';
import { classifyRefusal } from './refusal.js';

/**
 * Default cap on one upload's serialized events: well below the 16 MiB a server takes in one
 * body, and above the largest single event (MAX_EVENT_BYTES), so one event always fits.
 */
export const DEFAULT_MAX_BATCH_BYTES = 2 * 1024 * 1024;

/**
 * The byte cap for one batch: the configured one (or the default), and below what the server says
 * it takes (with room for the request's envelope).
 */
export function batchBytesFor(configured: number | undefined, limits: ServerLimits | undefined): number {
  const cap = configured ?? DEFAULT_MAX_BATCH_BYTES;
  return limits ? Math.max(1, Math.min(cap, limits.maxRequestBytes - 1024)) : cap;
}

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
  /** At most this many bytes of serialized events per request (default DEFAULT_MAX_BATCH_BYTES). */
  maxBatchBytes?: number;
  /** Told about upload failures (the uploader keeps retrying transient ones; nothing is dropped). */
  onError: (error: unknown) => void;
  /**
   * Told when the server says the attempt is no longer this runner's (lease lost, attempt gone) or
   * refuses its events for good: nothing more is sent for this attempt.
   */
  onLeaseLost: (error: unknown) => void;
}

/**
 * Uploads one attempt's spooled events in batches, one request at a time, resuming after the
 * server's ack. Failures back off and retry from the ack, so an outage delays events, never loses them.
 */
export interface EventUploader {
  /** Tells the uploader that new events were spooled. */
  notify(): void;
  /** Sends now what waits, instead of after the backoff of a failure (the server takes calls again). */
  retryNow(): void;
  /** Resolves once the server holds every event spooled so far; rejects if the lease is lost. */
  drain(): Promise<void>;
  /**
   * For the completion to carry: the events the server does not hold yet, when nothing is being
   * sent and they fit one batch (the upload they waited for is called off). Otherwise it drains,
   * and resolves with null once the server holds everything.
   */
  rest(): Promise<EventTail | null>;
  /** The server holds every event up to `seq` (the completion that carried them was taken). */
  acknowledge(seq: number): void;
  stop(): void;
  readonly acked: number;
}

/** Spooled events the server does not hold yet, as their lines, and the seq of the last one. */
export interface EventTail {
  lines: readonly Buffer[];
  lastSeq: number;
}

export function createEventUploader(options: EventUploaderOptions): EventUploader {
  const { client, spool, runnerId, attemptId, clock } = options;
  const maxBatch = Math.min(options.maxBatch, MAX_EVENTS_PER_BATCH);
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  /** Halved while the server refuses batches as too large, grown back after each success. */
  let batchBytes = maxBatchBytes;
  /** Events the server refused even alone, by seq: a note saying so is sent in their place (its line). */
  const replaced = new Map<number, Buffer>();
  let acked = 0;
  let timer: unknown = null;
  /**
   * True while a send loop runs. A flag, not the loop's promise: a loop with nothing to send
   * finishes synchronously, before its promise could be stored, and would leave it set forever.
   */
  let sending = false;
  let stopped = false;
  /** Aborts the request in flight on stop(), so a stopped runner is not kept up by it. */
  const abort = new AbortController();
  /** The server's refusal (lease lost, attempt gone), once it came: later drains reject with it too. */
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
        const { first, batch } = nextBatch();
        if (batch.length === 0 || first !== acked + 1) {
          // The server holds less than it once acknowledged, and the spool no longer has the rest:
          // back off and say so, rather than resend the same batch in a tight loop.
          throw new CoordError(
            'store.failed',
            `The event spool of attempt ${attemptId} no longer holds event ${acked + 1}, which the server needs`,
            { retryable: true },
          );
        }
        let ack: number;
        try {
          ack = await client.uploadEvents(runnerId, attemptId, batch, abort.signal);
        } catch (error) {
          if (classifyRefusal(error) !== 'split') throw error;
          // Refused as too large or invalid: never the same request again. Send half, down to one
          // event; an event refused alone is replaced by a note; a refused note ends the attempt.
          options.onError(error);
          if (batch.length > 1) batchBytes = Math.max(1, Math.floor(batchLineBytes(batch) / 2));
          else if (!replaced.has(first)) replaced.set(first, eventLine(refusedNote(batch[0]!, error)));
          else throw refusedForGood(attemptId, error);
          continue;
        }
        // The server's ack is the truth: it may be below what we sent (a gap) or above (a retry).
        acked = Math.min(ack, spool.lastSeq(attemptId));
        spool.release(attemptId, acked);
        batchBytes = Math.min(maxBatchBytes, batchBytes * 2);
        failures = 0;
      }
    } catch (error) {
      // Aborted by stop(): what is not acked stays in the spool for the next start.
      if (stopped) return;
      if (classifyRefusal(error) === 'gone') {
        leaseLost = error;
        stopped = true;
        options.onLeaseLost(error);
        settle(error);
        return;
      }
      failures += 1;
      options.onError(error);
    } finally {
      sending = false;
    }
    if (pending() === 0) settle();
    else if (!stopped)
      schedule(
        failures === 0
          ? options.intervalMs
          : backoffDelayMs(
              { ...serverBackoff, minDelayMs: Math.max(250, options.intervalMs) },
              failures,
              clock.random,
            ),
      );
  }

  /** What goes next, after the ack: sent as spooled, never parsed again (the server validates each event). */
  function nextBatch(): { first: number; batch: readonly Buffer[] } {
    const { first, lines } = spool.readLines(attemptId, acked, maxBatch, batchBytes);
    return {
      first,
      batch: replaced.size === 0 ? lines : lines.map((line, i) => replaced.get(first + i) ?? line),
    };
  }

  function drain(): Promise<void> {
    if (leaseLost) return Promise.reject(leaseLost);
    if (pending() === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    if (timer !== null) {
      clock.clearTimeout(timer);
      timer = null;
    }
    void send();
    return done;
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
    retryNow() {
      if (stopped || sending || pending() === 0) return;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      void send();
    },
    drain,
    rest() {
      if (leaseLost) return Promise.reject(leaseLost);
      const waiting = pending();
      if (waiting === 0) return Promise.resolve(null);
      if (!sending && !stopped) {
        const { first, batch } = nextBatch();
        if (first === acked + 1 && batch.length === waiting) {
          if (timer !== null) clock.clearTimeout(timer);
          timer = null;
          return Promise.resolve({ lines: batch, lastSeq: acked + waiting });
        }
      }
      return drain().then(() => null);
    },
    acknowledge(seq) {
      if (seq <= acked) return;
      acked = Math.min(seq, spool.lastSeq(attemptId));
      spool.release(attemptId, acked);
      if (pending() === 0) settle();
    },
    stop() {
      stopped = true;
      // Only a request in flight needs it (an abort builds a DOMException, stack and all).
      if (sending) abort.abort();
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}

function batchLineBytes(batch: readonly Buffer[]): number {
  return batch.reduce((sum, line) => sum + line.length, 0);
}

/** Stands in for an event the server refused even on its own, so the log goes on without it. */
function refusedNote(line: Buffer, error: unknown): AttemptEvent {
  const { message } = toErrorPayload(error);
  const event = JSON.parse(line.toString('utf8')) as AttemptEvent;
  return {
    seq: event.seq,
    at: event.at,
    type: 'job.log',
    data: {
      level: 'warn',
      message: `The server refused event ${event.seq} (${event.type}, ${line.length} bytes), so the runner cut it: ${message.slice(0, 500)}`,
    },
  };
}

/** Even the note was refused: nothing this runner sends for the attempt can be taken. */
function refusedForGood(attemptId: string, error: unknown): CoordError {
  return new CoordError(
    'attempt.refused',
    `The server refuses every event of attempt ${attemptId}, even a short note (${toErrorPayload(error).message.slice(0, 500)}): the runner stops sending for it`,
    { cause: error },
  );
}
