import { describe, expect, it } from 'vitest';
import { measureCheckout } from '../checkout.js';

// A tiny run of the checkout benchmark: it must work end to end (generated repository on the local
// forge, plain clone, warm prepares with and without a standby, worktrees). Timings are printed by `pnpm bench checkout`,
// never asserted here.
describe('checkout benchmark (smoke size)', () => {
  it('reports every figure for a small generated repository', async () => {
    const result = await measureCheckout({ files: 300, commits: 30, packMb: 1, runs: 2 });
    expect(result).toMatchObject({ bench: 'checkout', files: 300, commits: 30 });
    expect(result.pack_mb).toBeGreaterThanOrEqual(1);
    for (const key of [
      'clone_s',
      'worktree_s',
      'warm_prepare_s',
      'warm_prepare_unchanged_s',
      'warm_prepare_without_standby_s',
      'standby_replenish_s',
      'speedup_vs_clone',
      'overhead_vs_worktree',
    ] as const) {
      expect(result[key]).toBeGreaterThan(0);
    }
    // The measured prepares fetched the pushed commit from the forge, then took the standby.
    expect(result.phases).toContain('Updating mirror of local/big');
    expect(result.phases.some((line) => line.startsWith('Took the standby work tree'))).toBe(true);
  }, 120_000);
});
