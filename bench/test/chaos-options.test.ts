import { describe, expect, it } from 'vitest';
import { chaosOptions } from '../chaos.js';

// The soak itself runs for minutes (`pnpm bench chaos`); its driver is what tests/e2e/test/chaos.test.ts runs.
describe('pnpm bench chaos options', () => {
  it('takes its size from flags first, then COORD_CHAOS_* variables, then the defaults', () => {
    const env = { COORD_CHAOS_JOBS: '40', COORD_CHAOS_KILLS: '4', COORD_CHAOS_SEED: '7' };
    expect(chaosOptions(['--jobs', '20', '--runners', '2'], env)).toMatchObject({
      jobs: 20,
      runners: 2,
      kills: 4,
      seed: 7,
      serverRestarts: 3,
      capacity: 2,
      repositoryShare: 0.34,
    });
    expect(chaosOptions(['--seed', '9'], env).seed).toBe(9);
  });

  it('refuses sizes that are not whole numbers, and a repository share outside 0..1', () => {
    expect(() => chaosOptions(['--jobs', '0'], {})).toThrow('--jobs must be a whole number >= 1, got "0"');
    expect(() => chaosOptions(['--kills', 'many'], {})).toThrow('--kills must be a whole number >= 0');
    expect(() => chaosOptions(['--repository-share', '2'], {})).toThrow(
      '--repository-share must be between 0 and 1',
    );
    expect(() => chaosOptions(['--seed=-1'], {})).toThrow('--seed must be a whole number >= 0, got "-1"');
    expect(() => chaosOptions([], { COORD_CHAOS_SEED: 'x' })).toThrow(
      'COORD_CHAOS_SEED must be a whole number',
    );
  });
});
