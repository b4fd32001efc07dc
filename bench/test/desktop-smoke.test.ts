import { describe, expect, it } from 'vitest';
import { measureDesktop } from '../desktop.js';

// A small run of the desktop benchmark in Chromium through the harness: it must work, and only
// the rows on screen may exist. Speed is printed by `pnpm bench desktop`.
describe('desktop benchmark (smoke size)', () => {
  it('opens History over a thousand jobs and a log of a few thousand lines, with a small DOM', async () => {
    const result = await measureDesktop({ jobs: 1000, lines: 3000, frames: 20 });
    expect(result).toMatchObject({ bench: 'desktop', jobs: 1000, lines: 3000, scroll_frames: 20 });
    expect(result.scroll_frame_ms_p95).toBeGreaterThan(0);
    expect(result.history_first_render_ms).toBeGreaterThan(0);
    expect(result.logs_first_render_ms).toBeGreaterThan(0);
    expect(result.history_dom_rows).toBeGreaterThan(5);
    expect(result.history_dom_rows).toBeLessThan(60);
    expect(result.log_dom_rows).toBeGreaterThan(5);
    expect(result.log_dom_rows).toBeLessThan(100);
  }, 90_000);
});
