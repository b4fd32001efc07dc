import { describe, expect, it } from 'vitest';
import { continuePrompt, recapPrompt, taskPrompt } from './agent-prompt.js';

const input = {
  title: 'Fix login',
  instructions: 'Reviewer: also handle expired tokens.',
  workDir: '/w/job-1',
};

describe('agent prompts', () => {
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

  it('says which repository and branch it works on, and that the runner commits and opens the PR', () => {
    const prompt = taskPrompt({
      ...input,
      workContext: {
        kind: 'repository',
        repository: 'acme/app',
        branch: 'coord/fix-login-1a2b',
        baseBranch: 'main',
      },
    });
    expect(prompt).toContain('a clone of acme/app on branch coord/fix-login-1a2b (from main)');
    expect(prompt).toContain('Do not commit or push');
  });

  it('tells a local job that the files it leaves are its outputs', () => {
    expect(taskPrompt({ ...input, workContext: { kind: 'local' } })).toContain(
      "uploaded as the job's outputs",
    );
  });

  it('lists earlier attempts with their outcome, error and summary', () => {
    const prompt = taskPrompt({
      ...input,
      earlierAttempts: [
        { number: 1, status: 'failed', summary: null, error: 'agent.timeout: no output for 10 minutes' },
        { number: 2, status: 'succeeded', summary: 'Fixed the redirect; tests pass.', error: null },
      ],
    });
    expect(prompt).toContain('## Earlier attempts');
    expect(prompt).toContain('- Attempt 1 (failed): agent.timeout: no output for 10 minutes');
    expect(prompt).toContain('- Attempt 2 (succeeded)\n  Summary: Fixed the redirect; tests pass.');
  });
});
