import { describe, expect, it } from 'vitest';
import { measureEvents } from '../events.js';

// A short Claude Code turn through the whole pipeline to a server process: every line arrives.
// Throughput is printed by `pnpm bench events`, never asserted.
describe('events benchmark (smoke size)', () => {
  it(
    'delivers a few thousand recorded partial-message lines as job events',
    { timeout: 120_000 },
    async () => {
      const result = await measureEvents({ lines: 3000 });
      expect(result).toMatchObject({ bench: 'events', events: 3000, job_status: 'done' });
      // Deltas are re-cut into fewer events, but every tool call and message is there.
      expect(result.server_events).toBeGreaterThan(3000 / 53);
      expect(result.events_per_s).toBeGreaterThan(0);
      expect(result.raw_parse_per_s).toBeGreaterThan(0);
    },
  );
});
