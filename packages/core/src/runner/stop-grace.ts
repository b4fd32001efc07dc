import type { Clock } from './ports.js';

export interface Deadline {
  /** Resolves when the deadline has passed; never if it is cancelled first. */
  readonly expired: Promise<void>;
  cancel(): void;
}

/**
 * How long a stopping runner keeps trying to hand the server what it owes (events, a report):
 * `ms` after the later of now and the moment the stop begins, so a report that starts late in a
 * stop still gets its whole grace. What is not delivered by then stays in the spool for the next
 * start. Cancel it once delivery is done: a pending timer would keep the process alive.
 */
export function graceAfterStop(stopping: Promise<void>, clock: Clock, ms: number): Deadline {
  let handle: unknown = null;
  let cancelled = false;
  let expire!: () => void;
  const expired = new Promise<void>((resolve) => (expire = resolve));
  void stopping.then(() => {
    if (!cancelled) handle = clock.setTimeout(expire, ms);
  });
  return {
    expired,
    cancel() {
      cancelled = true;
      if (handle !== null) clock.clearTimeout(handle);
    },
  };
}

/** A wait that can be cut short; `cancel()` clears its timer (the promise then never resolves). */
export function delay(clock: Clock, ms: number): Deadline {
  let expire!: () => void;
  const expired = new Promise<void>((resolve) => (expire = resolve));
  const handle = clock.setTimeout(expire, ms);
  return { expired, cancel: () => clock.clearTimeout(handle) };
}
