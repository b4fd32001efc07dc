import { describe, expect, it } from 'vitest';
import { duration } from './duration.js';

describe('duration', () => {
  it('reads as seconds, minutes, hours, never below zero', () => {
    expect([-5, 0, 9_999, 60_000, 185_000, 3_720_000].map(duration)).toEqual([
      '0 s',
      '0 s',
      '9 s',
      '1m 00s',
      '3m 05s',
      '1h 02m',
    ]);
  });
});
