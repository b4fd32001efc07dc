import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/deferred.js';
import { createSlotPool, type ClaimTicket } from './slot-pool.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Reserves without awaiting: the ticket once granted, or undefined while it waits. */
function reserving(pool: ReturnType<typeof createSlotPool>, candidates: string[], signal?: AbortSignal) {
  const state: { ticket: ClaimTicket | null | undefined } = { ticket: undefined };
  void pool.reserve(candidates, signal).then((ticket) => (state.ticket = ticket));
  return state;
}

describe('the slot pool', () => {
  it('holds the global limit with claims in flight, and frees a slot a claim did not fill', async () => {
    const pool = createSlotPool({ capacity: 2 });
    const a = reserving(pool, ['demo']);
    const b = reserving(pool, ['demo']);
    const c = reserving(pool, ['demo']);
    await tick();
    expect(a.ticket).toBeTruthy();
    expect(b.ticket).toBeTruthy();
    expect(c.ticket).toBeUndefined();
    expect(pool.usage().used).toBe(2);
    a.ticket!.cancel();
    await tick();
    expect(c.ticket).toBeTruthy();
    const slot = b.ticket!.fill('demo');
    expect(pool.usage()).toEqual({ capacity: 2, used: 2, byAgent: { demo: 1 } });
    slot.release();
    slot.release();
    expect(pool.usage()).toEqual({ capacity: 2, used: 1, byAgent: {} });
    expect(() => b.ticket!.cancel()).toThrow(/settled once/);
  });

  it('serves waiting connections first come, first served', async () => {
    const pool = createSlotPool({ capacity: 1 });
    const order: string[] = [];
    const first = await pool.reserve(['demo']);
    for (const name of ['x', 'y', 'z'])
      void pool.reserve(['demo']).then((ticket) => {
        order.push(name);
        ticket!.cancel();
      });
    expect(first!.contended).toBe(false);
    first!.cancel();
    await tick();
    expect(order).toEqual(['x', 'y', 'z']);
  });

  it('tells a claim it is contended when another connection waits, so it polls briefly', async () => {
    const pool = createSlotPool({ capacity: 1 });
    const waiting = reserving(pool, ['demo']);
    const later = reserving(pool, ['demo']);
    await tick();
    expect(waiting.ticket!.contended).toBe(false);
    waiting.ticket!.cancel();
    await tick();
    // Granted while nobody else waits: a long poll is fine.
    expect(later.ticket!.contended).toBe(false);
    const third = reserving(pool, ['demo']);
    later.ticket!.cancel();
    await tick();
    expect(third.ticket!.contended).toBe(false);
    const fourth = reserving(pool, ['demo']);
    const fifth = reserving(pool, ['demo']);
    third.ticket!.cancel();
    await tick();
    expect(fourth.ticket!.contended).toBe(true);
    fourth.ticket!.cancel();
    await tick();
    expect(fifth.ticket).toBeTruthy();
  });

  it('asks only for agents under their limit, counting claims in flight and running attempts', async () => {
    const pool = createSlotPool({ capacity: 4, agentLimits: { 'claude-code': 1 } });
    const a = await pool.reserve(['claude-code', 'codex']);
    expect(a!.agents).toEqual(['claude-code', 'codex']);
    expect(a!.restricted).toBe(false);
    // Claude Code may come back on the claim in flight: the next claim leaves it out.
    const b = await pool.reserve(['claude-code', 'codex']);
    expect(b!.agents).toEqual(['codex']);
    expect(b!.restricted).toBe(true);
    expect(b!.contended).toBe(true);
    const claudeOnly = reserving(pool, ['claude-code']);
    await tick();
    expect(claudeOnly.ticket).toBeUndefined();
    const running = a!.fill('claude-code');
    await tick();
    expect(claudeOnly.ticket).toBeUndefined();
    b!.fill('codex');
    running.release();
    await tick();
    expect(claudeOnly.ticket!.agents).toEqual(['claude-code']);
    expect(pool.usage().byAgent).toEqual({ codex: 1 });
  });

  it('a waiting claim is dropped when its signal aborts', async () => {
    const pool = createSlotPool({ capacity: 1 });
    const holder = await pool.reserve(['demo']);
    const controller = new AbortController();
    const waiting = reserving(pool, ['demo'], controller.signal);
    controller.abort();
    await tick();
    expect(waiting.ticket).toBeNull();
    holder!.cancel();
    expect(pool.usage().used).toBe(0);
    expect(await pool.reserve(['demo'], controller.signal)).toBeNull();
  });

  it('a parked attempt lends its slot while it waits on a lock, and gets one back before new claims', async () => {
    const pool = createSlotPool({ capacity: 1 });
    const slot = (await pool.reserve(['demo']))!.fill('demo');
    const lock = deferred<string>();
    const parked = slot.parked(() => lock.promise);
    expect(slot.parkedNow).toBe(true);
    const other = reserving(pool, ['demo']);
    await tick();
    // The other job claims and runs meanwhile.
    expect(other.ticket).toBeTruthy();
    const otherSlot = other.ticket!.fill('demo');
    expect(pool.usage()).toEqual({ capacity: 1, used: 1, byAgent: { demo: 2 } });
    lock.resolve('mirror ready');
    const next = reserving(pool, ['demo']);
    await tick();
    let resumed = false;
    void parked.then(() => (resumed = true));
    await tick();
    expect(resumed).toBe(false);
    otherSlot.release();
    await tick();
    // The parked attempt goes first; the new claim still waits.
    expect(await parked).toBe('mirror ready');
    expect(slot.parkedNow).toBe(false);
    expect(next.ticket).toBeUndefined();
    slot.release();
    await tick();
    expect(next.ticket).toBeTruthy();
  });

  it('an attempt stopped while it waits for its slot back gives the slot straight on', async () => {
    const pool = createSlotPool({ capacity: 1 });
    const slot = (await pool.reserve(['demo']))!.fill('demo');
    const lock = deferred<void>();
    const parked = slot.parked(() => lock.promise);
    await tick();
    const other = (await pool.reserve(['demo']))!.fill('demo');
    lock.resolve();
    await tick();
    slot.release();
    other.release();
    await parked;
    expect(pool.usage()).toEqual({ capacity: 1, used: 0, byAgent: {} });
  });

  it('a resumed attempt takes its slot at once, even beyond the capacity', async () => {
    const pool = createSlotPool({ capacity: 1 });
    const claim = await pool.reserve(['demo']);
    const resumed = pool.occupy('demo');
    expect(pool.usage().used).toBe(2);
    resumed.release();
    claim!.cancel();
    expect(pool.usage().used).toBe(0);
  });
});
