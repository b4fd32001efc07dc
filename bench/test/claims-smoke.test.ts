import { describe, expect, it } from 'vitest';
import { measureClaims } from '../claims.js';

// A tiny burst: every job claimed once. Throughput is printed by `pnpm bench claims`, never asserted.
describe('claims benchmark (smoke size)', () => {
  it('claims 40 jobs made Ready at once across 6 runners, none twice', async () => {
    const result = await measureClaims({ jobs: 40, runners: 6 });
    expect(result).toMatchObject({ bench: 'claims', jobs: 40, runners: 6, double_claims: 0 });
    expect(result.claims_per_s).toBeGreaterThan(0);
  });
});
