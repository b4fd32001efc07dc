/**
 * Parked long-poll claims. When a job becomes Ready the queue offers it to waiters in arrival
 * order (FIFO), each trying its own atomic claim, so pickup takes milliseconds rather than a
 * poll interval. A waiter leaves the queue when it gets a job, times out, or its client goes away.
 */
export interface Waiter<T> {
  /** Tries to claim; a non-null result settles the waiter. */
  attempt(): T | null;
  settle(result: T | null): void;
  /**
   * The same for the retries of one claim: a retry replaces a waiter still parked with its key,
   * which is answered null at once (its client gave up on it; a silently dropped connection can
   * leave it parked, and it must not win the next job only to lose the answer again).
   */
  key?: string;
}

export class WaiterQueue<T> {
  private readonly waiters: Waiter<T>[] = [];
  private draining = false;
  private again = false;

  get size(): number {
    return this.waiters.length;
  }

  add(waiter: Waiter<T>): () => void {
    const replaced =
      waiter.key === undefined ? undefined : this.waiters.find((other) => other.key === waiter.key);
    if (replaced) {
      this.remove(replaced);
      replaced.settle(null);
    }
    this.waiters.push(waiter);
    return () => this.remove(waiter);
  }

  private remove(waiter: Waiter<T>): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** Offers newly Ready work to every waiter in FIFO order; re-entrant calls rerun the pass. */
  wake(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        for (const waiter of [...this.waiters]) {
          if (!this.waiters.includes(waiter)) continue;
          let result: T | null = null;
          try {
            result = waiter.attempt();
          } catch {
            result = null; // the waiter's own timeout still answers it
          }
          if (result !== null) {
            this.remove(waiter);
            waiter.settle(result);
          }
        }
      } while (this.again);
    } finally {
      this.draining = false;
    }
  }

  /** Answers every waiter with null (server shutdown). */
  flush(): void {
    for (const waiter of this.waiters.splice(0)) waiter.settle(null);
  }
}
