import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/manual-clock.js';
import { createRepeatFilter } from './repeat-filter.js';

describe('the repeat filter', () => {
  it('lets an error through once a minute, and every other error beside it', () => {
    const clock = new ManualClock();
    const filter = createRepeatFilter(clock, 60_000);
    const refused = { code: 'api.network', message: 'connect ECONNREFUSED' };
    const reset = { code: 'api.network', message: 'socket hang up' };
    expect(filter.isNews(refused)).toBe(true);
    expect(filter.isNews({ ...refused })).toBe(false);
    expect(filter.isNews(reset)).toBe(true);
    expect(filter.isNews({ code: 'store.failed', message: refused.message })).toBe(true);
    clock.advance(59_999);
    expect(filter.isNews(refused)).toBe(false);
    clock.advance(1);
    expect(filter.isNews(refused)).toBe(true);
    expect(filter.isNews(refused)).toBe(false);
  });

  it('remembers a bounded number of errors, forgetting them all past it', () => {
    const clock = new ManualClock();
    const filter = createRepeatFilter(clock, 60_000);
    for (let i = 0; i < 200; i++) expect(filter.isNews({ code: 'x', message: `error ${i}` })).toBe(true);
    expect(filter.isNews({ code: 'x', message: 'error 0' })).toBe(false);
    expect(filter.isNews({ code: 'x', message: 'error 200' })).toBe(true);
    // Memory started over: the first error is news again.
    expect(filter.isNews({ code: 'x', message: 'error 0' })).toBe(true);
  });
});
