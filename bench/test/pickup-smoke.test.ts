import { describe, expect, it } from 'vitest';
import { measurePickup } from '../pickup.js';

// A tiny run of the pickup benchmark: it must work and never double-claim. Latency is printed by
// `pnpm bench pickup`, never asserted here.
describe('pickup benchmark (smoke size)', () => {
  it('runs 20 jobs through 4 runners with no double claim', async () => {
    const result = await measurePickup({ jobs: 20, runners: 4 });
    expect(result).toMatchObject({ bench: 'pickup', jobs: 20, runners: 4, double_claims: 0 });
    expect(Number.isFinite(result.p99_ms)).toBe(true);
  });
});
