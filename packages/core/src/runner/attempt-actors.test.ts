import { describe, expect, it } from 'vitest';
import { withFeedback } from './attempt-actors.js';

describe('withFeedback', () => {
  it("adds a reviewer's feedback after the job's instructions, and nothing without one", () => {
    expect(withFeedback('Add a greeting.', 'Log twice, please.')).toBe(
      'Add a greeting.\n\nA reviewer asked for changes to your pull request:\nLog twice, please.\n\nAdd commits that address this to the same branch.',
    );
    expect(withFeedback('Add a greeting.', null)).toBe('Add a greeting.');
    expect(withFeedback('Add a greeting.', undefined)).toBe('Add a greeting.');
  });
});
