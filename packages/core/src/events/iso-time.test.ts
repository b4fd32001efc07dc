import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

describe('isoTime', () => {
  it('formats each millisecond as Date does, repeated or not', () => {
    const times = [0, 1_764_633_600_000, 1_764_633_600_000, 1_764_633_600_001, 1_764_633_600_000, -1];
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
