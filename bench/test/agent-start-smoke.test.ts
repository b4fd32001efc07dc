import { describe, expect, it } from 'vitest';
import { measureAgentStart } from '../agent-start.js';

// One sample of the agent start-up benchmark with the pinned Claude Code: it must work end to
// end. The times are printed by `pnpm bench agent-start`, never asserted here.
describe('agent-start benchmark (smoke size)', () => {
  it('times Claude Code by hand and through the runner until its first model request', async () => {
    const result = await measureAgentStart({ samples: 1 });
    expect(result).toMatchObject({ bench: 'agent-start', agent: 'claude-code', samples: 1 });
    expect(result.bare_ms).toBeGreaterThan(0);
    expect(result.runner_ms).toBeGreaterThan(0);
  }, 120_000);
});
