import { describe, expect, it } from 'vitest';
import { holdSignals } from './held-signals.js';

describe('holdSignals', () => {
  it('keeps SIGINT and SIGTERM until released, then hands them over once and lets go', () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const held = holdSignals();
    // Held: the default action (the process dies) does not happen while a listener is there.
    expect(process.listenerCount('SIGTERM')).toBe(before[1]! + 1);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    expect(held.release()).toEqual(['SIGTERM', 'SIGINT']);
    expect(held.release()).toEqual([]);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
