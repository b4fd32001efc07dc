import { describe, expect, it } from 'vitest';
import { summarizeDemo } from './demo-summary.js';

describe('summarizeDemo', () => {
  it('lists what was said, written and run', () => {
    const text = summarizeDemo(
      { said: 1, wrote: ['a.txt', 'b/c.txt'], ran: [{ command: 'node -v', exitCode: 0 }] },
      4,
    );
    expect(text).toBe(
      'Demo agent (scripted, no AI) followed its 4-step plan: said 1 thing; wrote a.txt and b/c.txt; ran `node -v` (exit 0).',
    );
  });
});
