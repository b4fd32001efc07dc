import { describe, expect, it } from 'vitest';
import { measureCli } from '../cli.js';

// A tiny run of the CLI start-up benchmark: it must work. Speed is printed by `pnpm bench cli`.
describe('CLI start-up benchmark (smoke size)', () => {
  it('times --help, status against a running runner, and node', async () => {
    const result = await measureCli({ samples: 1 });
    expect(result).toMatchObject({ bench: 'cli', samples: 1 });
    for (const key of ['help_ms', 'status_ms', 'node_ms'] as const) expect(result[key]).toBeGreaterThan(0);
  }, 120_000);
});
