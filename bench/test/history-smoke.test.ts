import { describe, expect, it } from 'vitest';
import { measureHistory } from '../history.js';

// A tiny run of the history benchmark: it must work. Speed is printed by `pnpm bench history`.
describe('history benchmark (smoke size)', () => {
  it('loads, records and queries a small history', async () => {
    const result = await measureHistory({ entries: 100, queries: 2 });
    expect(result).toMatchObject({ bench: 'history', entries: 100 });
    // Entries 0..100: failed ones are every tenth; codex the even ones; ws-3 every seventh.
    expect(result.matched).toBe(
      [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].filter((n) => n % 7 === 3).length,
    );
  });
});
