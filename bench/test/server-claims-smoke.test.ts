import { describe, expect, it } from 'vitest';
import { measureServerClaims } from '../server-claims.js';

// A tiny burst through bare protocol clients: every job claimed and completed once. Throughput is
// printed by `pnpm bench server-claims`, never asserted.
describe('server-claims benchmark (smoke size)', () => {
  it('claims and completes 40 jobs across 6 clients, none twice', async () => {
    const result = await measureServerClaims({ jobs: 40, clients: 6 });
    expect(result).toMatchObject({ bench: 'server-claims', jobs: 40, clients: 6, double_claims: 0 });
    expect(result.jobs_per_s).toBeGreaterThan(0);
    expect(result.server_cpu_ms_per_job).toBeGreaterThan(0);
  });
});
