import { describe, expect, it } from 'vitest';
import { continuePrompt, recapPrompt, taskPrompt } from './agent-prompt.js';

const input = {
  title: 'Fix login',
  instructions: 'Reviewer: also handle expired tokens.',
  workDir: '/w/job-1',
};

describe('Claude prompts', () => {
  it('gives the task, and where the agent works', () => {
    expect(taskPrompt(input)).toBe(
      '# Fix login\n\nReviewer: also handle expired tokens.\n\nYou are working in /w/job-1. Keep your changes inside it.',
    );
  });

  it('carries the current instructions into a resumed session (a revision brings feedback)', () => {
    expect(continuePrompt(input)).toContain('Continue where you left off');
    expect(continuePrompt(input)).toContain('also handle expired tokens');
  });

  it('recaps an earlier try when its session is gone', () => {
    const recap = recapPrompt(input, 'old-session');
    expect(recap.startsWith(taskPrompt(input))).toBe(true);
    expect(recap).toContain('old-session');
    expect(recap).toContain('could not be resumed');
  });
});
