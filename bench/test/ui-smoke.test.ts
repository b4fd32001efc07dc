import { describe, expect, it } from 'vitest';
import { measureUi } from '../ui.js';

// A tiny run of the log view benchmark in Chromium: it must work. Speed is printed by `pnpm bench ui`.
describe('log view benchmark (smoke size)', () => {
  it('opens a log of a few thousand lines, scrolls it, and keeps a small DOM', async () => {
    const result = await measureUi({ lines: 3000, frames: 20 });
    expect(result).toMatchObject({ bench: 'ui', lines: 3000, scroll_frames: 20 });
    expect(result.first_render_ms).toBeGreaterThan(0);
    expect(result.dom_rows).toBeLessThan(100);
  }, 60_000);
});
