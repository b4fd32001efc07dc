/**
 * The runner's slots, shared by every server connection (DESIGN.md section 5: one runner, many
 * accounts). A claim first reserves a slot, so the global limit holds even with a long poll in
 * flight on each connection; the claim then asks only for agents under their own limit. Waiting
 * connections are served first come, first served, so one busy server cannot starve another.
 */
export interface SlotPoolOptions {
  /** Attempts that run at once, across every connection. */
  capacity: number;
  /** At most this many attempts of one agent at once (agents not named have no limit of their own). */
  agentLimits?: Readonly<Record<string, number>>;
}

/** One claim's hold on a slot, until its answer says what fills it. */
export interface ClaimTicket {
  /** The agents this claim may ask for: under their limit, counting the other claims in flight. */
  readonly agents: readonly string[];
  /** True when `agents` leaves out some of the candidates (the server must be told). */
  readonly restricted: boolean;
  /**
   * Another connection waits for what this claim holds: the claim should be a short poll, not a
   * long one, or that connection's jobs wait the whole poll.
   */
  readonly contended: boolean;
  /** The claim brought an attempt of `agent`: the slot is the attempt's until it is released. */
  fill(agent: string | null): AttemptSlot;
  /** The claim brought nothing: the slot is free again. */
  cancel(): void;
}

/** A running attempt's slot. */
export interface AttemptSlot {
  /** Waiting on a lock with its slot lent out (the server must not count it against capacity). */
  readonly parkedNow: boolean;
  /** The attempt is over. Idempotent. */
  release(): void;
  /**
   * Runs `wait` (waiting on a lock, such as another job's mirror fetch) without holding the slot,
   * so another job can use it meanwhile; then takes a slot again, before any new claim does.
   */
  parked<T>(wait: () => Promise<T>): Promise<T>;
}

export interface SlotUsage {
  capacity: number;
  /** Slots held: running attempts (not parked ones) and claims in flight. */
  used: number;
  /** Attempts running per agent, parked ones included. */
  byAgent: Record<string, number>;
}

export interface SlotPool {
  /**
   * Waits until a slot is free and one of `candidates` is under its limit; null when `signal`
   * aborts first.
   */
  reserve(candidates: readonly string[], signal?: AbortSignal): Promise<ClaimTicket | null>;
  /**
   * An attempt picked back up after a restart: it was running before, so it takes a slot at once
   * (even one beyond the capacity, if the setting was lowered meanwhile).
   */
  occupy(agent: string | null): AttemptSlot;
  usage(): SlotUsage;
}

type Waiter =
  | { kind: 'claim'; candidates: readonly string[]; grant: (ticket: ClaimTicket) => void }
  | { kind: 'resume'; grant: () => void };

export function createSlotPool(options: SlotPoolOptions): SlotPool {
  const limits = options.agentLimits ?? {};
  let used = 0;
  const running = new Map<string, number>();
  /** Agents reserved by claims in flight: each may come back as any agent it asked for. */
  const pending = new Map<string, number>();
  const queue: Waiter[] = [];

  const count = (map: Map<string, number>, agent: string) => map.get(agent) ?? 0;
  const add = (map: Map<string, number>, agent: string, delta: number) => {
    const next = count(map, agent) + delta;
    if (next <= 0) map.delete(agent);
    else map.set(agent, next);
  };
  const underLimit = (agent: string, withPending: boolean) => {
    const limit = limits[agent];
    if (limit === undefined) return true;
    return count(running, agent) + (withPending ? count(pending, agent) : 0) < limit;
  };

  /** Hands free slots to waiters: resumed attempts first, then claims in the order they came. */
  function pump(): void {
    for (let i = 0; i < queue.length && used < options.capacity;) {
      const waiter = queue[i]!;
      if (waiter.kind === 'resume') {
        queue.splice(i, 1);
        used += 1;
        waiter.grant();
        continue;
      }
      i += 1;
    }
    for (let i = 0; i < queue.length && used < options.capacity;) {
      const waiter = queue[i]!;
      if (waiter.kind !== 'claim') {
        i += 1;
        continue;
      }
      const agents = waiter.candidates.filter((agent) => underLimit(agent, true));
      // Every agent it could take is at its limit: it waits, the next connection may go.
      if (agents.length === 0 && waiter.candidates.length > 0) {
        i += 1;
        continue;
      }
      queue.splice(i, 1);
      waiter.grant(ticket(waiter.candidates, agents));
    }
  }

  function ticket(candidates: readonly string[], agents: string[]): ClaimTicket {
    used += 1;
    for (const agent of agents) if (limits[agent] !== undefined) add(pending, agent, 1);
    const heldBack = candidates.some((agent) => !agents.includes(agent) && underLimit(agent, false));
    let settled = false;
    const settle = () => {
      if (settled) throw new Error('a claim ticket is settled once');
      settled = true;
      for (const agent of agents) if (limits[agent] !== undefined) add(pending, agent, -1);
    };
    return {
      agents,
      restricted: agents.length < candidates.length,
      contended: heldBack || queue.some((w) => w.kind === 'claim'),
      fill(agent) {
        settle();
        if (agent !== null) add(running, agent, 1);
        pump();
        return attemptSlot(agent, true);
      },
      cancel() {
        settle();
        used -= 1;
        pump();
      },
    };
  }

  function attemptSlot(agent: string | null, initiallyHeld: boolean): AttemptSlot {
    let held = initiallyHeld;
    let released = false;
    const giveBack = () => {
      if (!held) return;
      held = false;
      used -= 1;
    };
    let parkedNow = false;
    return {
      get parkedNow() {
        return parkedNow;
      },
      release() {
        if (released) return;
        released = true;
        giveBack();
        if (agent !== null) add(running, agent, -1);
        pump();
      },
      async parked<T>(wait: () => Promise<T>): Promise<T> {
        giveBack();
        parkedNow = true;
        pump();
        let result: T;
        try {
          result = await wait();
        } finally {
          parkedNow = false;
        }
        if (!released) {
          await new Promise<void>((grant) => {
            queue.unshift({ kind: 'resume', grant });
            pump();
          });
          // Released while waiting for its slot back (a stop): the slot goes straight on.
          if (released) {
            used -= 1;
            pump();
          } else held = true;
        }
        return result;
      },
    };
  }

  return {
    reserve(candidates, signal) {
      if (signal?.aborted) return Promise.resolve(null);
      return new Promise((resolve) => {
        const waiter: Waiter = {
          kind: 'claim',
          candidates,
          grant: (granted) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(granted);
          },
        };
        const onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          resolve(null);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
    occupy(agent) {
      used += 1;
      if (agent !== null) add(running, agent, 1);
      return attemptSlot(agent, true);
    },
    usage: () => ({ capacity: options.capacity, used, byAgent: Object.fromEntries(running) }),
  };
}
