import type { Clock } from '../src/runner/ports.js';

/**
 * A clock whose timers run only when the test advances it, and whose jitter is fixed (`random`
 * returns `jitter`, 0 unless set), so backoff waits are exact.
 */
export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();
  jitter = 0;
  now = () => this.time;
  random = () => this.jitter;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };
  get pendingTimers(): number {
    return this.timers.size;
  }
  /** When the next timer is due, relative to now, or null if none waits. */
  get nextTimerIn(): number | null {
    let soonest: number | null = null;
    for (const { at } of this.timers.values()) if (soonest === null || at < soonest) soonest = at;
    return soonest === null ? null : soonest - this.time;
  }
  /** Runs every timer due within `ms`, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > until) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = until;
  }
}

/** Lets pending promise callbacks and I/O run until `condition` holds, or fails after 2 s. */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Lets everything already queued run (promise callbacks, then one turn of I/O). */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
