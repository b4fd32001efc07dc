import { describe, expect, it } from 'vitest';
import type { Clock } from './ports.js';
import { graceAfterStop } from './stop-grace.js';

/** Timers that run only when the test says so. */
function manualClock() {
  let time = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const clock: Clock = {
    now: () => time,
    setTimeout: (fn, ms) => {
      timers.set(next, { at: time + ms, fn });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const advance = (ms: number) => {
    time += ms;
    for (const [id, t] of [...timers]) {
      if (t.at <= time) {
        timers.delete(id);
        t.fn();
      }
    }
  };
  return { clock, advance, pending: () => timers.size };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('graceAfterStop', () => {
  it('runs out the grace after the stop begins, not before', async () => {
    const { clock, advance } = manualClock();
    let stop!: () => void;
    const stopping = new Promise<void>((resolve) => (stop = resolve));
    const grace = graceAfterStop(stopping, clock, 1_000);
    let expired = false;
    void grace.expired.then(() => (expired = true));
    advance(5_000);
    await flush();
    expect(expired).toBe(false);
    stop();
    await flush();
    advance(999);
    await flush();
    expect(expired).toBe(false);
    advance(1);
    await flush();
    expect(expired).toBe(true);
  });

  it('leaves no timer behind once cancelled', async () => {
    const { clock, pending } = manualClock();
    const grace = graceAfterStop(Promise.resolve(), clock, 1_000);
    await flush();
    expect(pending()).toBe(1);
    grace.cancel();
    expect(pending()).toBe(0);
  });
});
