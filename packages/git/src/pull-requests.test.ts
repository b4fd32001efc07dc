import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './pull-requests.js';

const answer = (headers: Record<string, string>) => ({ status: 429, response: { headers } });
const now = Date.parse('2026-12-01T08:00:00Z');

describe('retryAfterMs', () => {
  it('reads Retry-After in seconds or as a date, and the rate limit reset', () => {
    expect(retryAfterMs(answer({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(retryAfterMs(answer({ 'retry-after': 'Tue, 01 Dec 2026 08:00:10 GMT' }), now)).toBe(10_000);
    expect(
      retryAfterMs(
        answer({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 60) }),
        now,
      ),
    ).toBe(60_000);
  });

  it('ignores what it cannot read, and never waits a negative time', () => {
    expect(retryAfterMs(answer({ 'retry-after': 'soon' }), now)).toBeNull();
    expect(retryAfterMs(answer({ 'retry-after': '-5' }), now)).toBe(0);
    expect(retryAfterMs(answer({ 'retry-after': 'Tue, 01 Dec 2026 07:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(answer({ 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': '1' }), now)).toBeNull();
    expect(retryAfterMs(new Error('no response'), now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});
