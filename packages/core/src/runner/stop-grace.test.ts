import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/manual-clock.js';
import { graceAfterStop } from './stop-grace.js';

function manualClock() {
  const clock = new ManualClock();
  return { clock, advance: (ms: number) => clock.advance(ms), pending: () => clock.pendingTimers };
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
