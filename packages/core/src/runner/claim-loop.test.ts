import { describe, expect, it } from 'vitest';
import { deferred, type Deferred } from '../../test/deferred.js';
import { ManualClock, until } from '../../test/manual-clock.js';
import { CoordError } from '../errors.js';
import { createClaimLoop, type ClaimLoopOptions } from './claim-loop.js';
import { createSlotPool, type AttemptSlot } from './slot-pool.js';

/** A server whose claims the test answers one by one; `capacity` slots in a real pool. */
function harness({ capacity = 1, ...over }: Partial<ClaimLoopOptions> & { capacity?: number } = {}) {
  const clock = new ManualClock();
  const claims: Array<{ active: string[]; key: string; signal: AbortSignal; answer: Deferred<unknown> }> = [];
  const active: string[] = [];
  const slots = createSlotPool({ capacity });
  const held = new Map<string, AttemptSlot>();
  /** An attempt ended: its slot is free. */
  const end = (id: string) => {
    active.splice(active.indexOf(id), 1);
    held.get(id)?.release();
  };
  const seen: string[] = [];
  const errors: unknown[] = [];
  const fatal: CoordError[] = [];
  const signedOut: CoordError[] = [];
  let signIn = deferred<void>();
  const loop = createClaimLoop({
    clock,
    reserve: (signal) => slots.reserve(['demo'], signal),
    activeAttemptIds: () => [...active],
    claim: ({ activeAttemptIds, claimKey }, _ticket, signal) => {
      const answer = deferred<unknown>();
      // Like the real client: an aborted claim rejects (at once, when sent aborted).
      if (signal.aborted) answer.reject(new Error('aborted'));
      signal.addEventListener('abort', () => answer.reject(new Error('aborted')));
      claims.push({ active: activeAttemptIds, key: claimKey, signal, answer });
      return answer.promise;
    },
    onAssignment: (raw, ticket) => {
      const id = (raw as { id: string }).id;
      seen.push(`assignment ${id}`);
      active.push(id);
      held.set(id, ticket.fill('demo'));
    },
    onConnection: (state) => seen.push(state),
    onSignedOut: (error) => {
      signedOut.push(error);
      return signIn.promise;
    },
    onFatal: (error) => fatal.push(error),
    reportError: (error) => errors.push(error),
    ...over,
  });
  const done = loop.run();
  const signInAgain = () => {
    signIn.resolve();
    signIn = deferred<void>();
  };
  return { clock, claims, active, end, slots, seen, errors, fatal, signedOut, signInAgain, loop, done };
}

const network = () => new CoordError('api.network', 'connection refused', { retryable: true });

describe('the claim loop', () => {
  it('claims again after an empty answer, and waits for a free slot once full', async () => {
    const h = harness();
    await until(() => h.claims.length === 1);
    h.claims[0]!.answer.resolve(null);
    await until(() => h.claims.length === 2);
    h.claims[1]!.answer.resolve({ id: 'att-1' });
    await until(() => h.seen.includes('assignment att-1'));
    await new Promise((r) => setImmediate(r));
    expect(h.claims).toHaveLength(2);
    h.end('att-1');
    await until(() => h.claims.length === 3);
    expect(h.claims[2]!.active).toEqual([]);
    h.loop.stop();
    await h.done;
  });

  it('a fault in taking an answer up is reported, not taken for an outage: it claims on at once', async () => {
    const fault = new Error('cannot start the attempt');
    const h = harness({
      capacity: 2,
      onAssignment: (_raw, ticket) => {
        ticket.cancel();
        throw fault;
      },
    });
    await until(() => h.claims.length === 1);
    h.claims[0]!.answer.resolve({ id: 'att-1' });
    // No backoff: the next claim goes out without the clock moving.
    await until(() => h.claims.length === 2);
    expect(h.errors).toEqual([fault]);
    expect(h.seen).toEqual([]);
    expect(h.claims[1]!.key).not.toBe(h.claims[0]!.key);
    h.loop.stop();
    await h.done;
  });

  it('tells the server which attempts it still runs', async () => {
    const h = harness({ capacity: 2 });
    await until(() => h.claims.length === 1);
    h.claims[0]!.answer.resolve({ id: 'att-1' });
    await until(() => h.claims.length === 2);
    expect(h.claims[1]!.active).toEqual(['att-1']);
    h.loop.stop();
    await h.done;
  });

  it('backs off through an outage by the one policy, going offline once and online again', async () => {
    const h = harness();
    await until(() => h.claims.length === 1);
    h.claims[0]!.answer.reject(network());
    await until(() => h.clock.pendingTimers === 1);
    expect(h.seen).toEqual(['offline']);
    expect(h.clock.nextTimerIn).toBe(500);
    h.clock.advance(500);
    await until(() => h.claims.length === 2);
    h.claims[1]!.answer.reject(network());
    await until(() => h.clock.pendingTimers === 1);
    expect(h.clock.nextTimerIn).toBe(1_000);
    expect(h.seen).toEqual(['offline']);
    h.clock.advance(1_000);
    await until(() => h.claims.length === 3);
    h.claims[2]!.answer.resolve(null);
    await until(() => h.claims.length === 4);
    expect(h.seen).toEqual(['offline', 'online']);
    // Every try's failure is reported (the runner keeps repeats quiet).
    expect(h.errors).toHaveLength(2);
    // No slot is held through a backoff: only the claim in flight holds one.
    expect(h.slots.usage().used).toBe(1);
    h.loop.stop();
    await h.done;
  });

  it('a stop while the slot for the next try is reserved sends no claim', async () => {
    const slots = createSlotPool({ capacity: 1 });
    let slotComes: Deferred<void> | null = null;
    let reserving = 0;
    const h = harness({
      // The slot is had at once, but handed over only when the test says (after the stop).
      reserve: async (signal) => {
        reserving += 1;
        const ticket = await slots.reserve(['demo'], signal);
        if (slotComes) await slotComes.promise;
        return ticket;
      },
    });
    await until(() => h.claims.length === 1);
    slotComes = deferred<void>();
    h.claims[0]!.answer.reject(network());
    await until(() => h.clock.pendingTimers === 1);
    h.clock.advance(h.clock.nextTimerIn!);
    // The backoff is over and the loop waits for a slot; the stop comes before the slot does.
    await until(() => reserving === 2);
    h.loop.stop();
    slotComes.resolve();
    await h.done;
    expect(h.claims).toHaveLength(1);
    expect(slots.usage().used).toBe(0);
  });

  it('sends one claim key through every retry of a claim, and a new one once a claim is answered', async () => {
    const h = harness({ capacity: 2 });
    await until(() => h.claims.length === 1);
    // The connection drops: the server may have claimed, and the retry must say it is the same claim.
    h.claims[0]!.answer.reject(network());
    await until(() => h.clock.pendingTimers === 1);
    h.clock.advance(h.clock.nextTimerIn!);
    await until(() => h.claims.length === 2);
    h.claims[1]!.answer.reject(network());
    await until(() => h.clock.pendingTimers === 1);
    h.clock.advance(h.clock.nextTimerIn!);
    await until(() => h.claims.length === 3);
    h.claims[2]!.answer.resolve({ id: 'att-1' });
    await until(() => h.claims.length === 4);
    h.claims[3]!.answer.resolve(null);
    await until(() => h.claims.length === 5);
    const keys = h.claims.map((c) => c.key);
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(keys.slice(1, 3)).toEqual([keys[0], keys[0]]);
    expect(new Set([keys[0], keys[3], keys[4]]).size).toBe(3);
    h.loop.stop();
    await h.done;
  });

  it('claims nothing while the token is refused, and goes on once signed in again', async () => {
    const h = harness();
    await until(() => h.claims.length === 1);
    const refused = new CoordError('auth.invalid_token', 'The token was refused');
    h.claims[0]!.answer.reject(refused);
    await until(() => h.signedOut.length === 1);
    expect(h.signedOut).toEqual([refused]);
    // Signed out: no claim, no backoff timer, not reported as an outage or a fatal end.
    h.clock.advance(10 * 60_000);
    await new Promise((r) => setImmediate(r));
    expect(h.claims).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.seen).toEqual([]);
    expect(h.fatal).toEqual([]);
    h.signInAgain();
    await until(() => h.claims.length === 2);
    h.claims[1]!.answer.resolve({ id: 'att-1' });
    await until(() => h.seen.includes('assignment att-1'));
    h.loop.stop();
    await h.done;
  });

  it('a stop ends the wait for a sign-in', async () => {
    const h = harness();
    await until(() => h.claims.length === 1);
    h.claims[0]!.answer.reject(new CoordError('auth.invalid_token', 'The token was refused'));
    await until(() => h.signedOut.length === 1);
    h.loop.stop();
    await h.done;
    expect(h.claims).toHaveLength(1);
  });

  it('ends at once on a server of another API version, saying so', async () => {
    const h = harness();
    await until(() => h.claims.length === 1);
    const unsupported = new CoordError('api.unsupported_version', 'The server speaks API 2');
    h.claims[0]!.answer.reject(unsupported);
    await h.done;
    expect(h.fatal).toEqual([unsupported]);
    expect(h.errors).toEqual([unsupported]);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('stops at once: the claim in flight is aborted, a backoff or a full slot cut short', async () => {
    const h = harness();
    await until(() => h.claims.length === 1);
    h.loop.stop();
    expect(h.claims[0]!.signal.aborted).toBe(true);
    await h.done;
    expect(h.errors).toEqual([]);

    const backingOff = harness();
    await until(() => backingOff.claims.length === 1);
    backingOff.claims[0]!.answer.reject(network());
    await until(() => backingOff.clock.pendingTimers === 1);
    backingOff.loop.stop();
    await backingOff.done;
    expect(backingOff.clock.pendingTimers).toBe(0);

    const full = harness({ capacity: 0 });
    await new Promise((r) => setImmediate(r));
    full.loop.stop();
    await full.done;
    expect(full.claims).toHaveLength(0);
    expect(full.slots.usage().used).toBe(0);
  });
});
