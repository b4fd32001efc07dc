import { describe, expect, it } from 'vitest';
import { commitMessage, pullRequestBody, singleLine } from './messages.js';

describe('commitMessage', () => {
  it('is title, blank line, trimmed summary, blank line, trailers', () => {
    expect(
      commitMessage({ title: 'Fix it', summary: '\n  Did the thing.\n\n', jobId: 'job_1', attemptNumber: 2 }),
    ).toBe('Fix it\n\nDid the thing.\n\nCoord-Job: job_1\nCoord-Attempt: 2\n');
  });

  it('keeps the subject to one line and survives an empty summary', () => {
    expect(commitMessage({ title: 'Fix\nit\ttoday', summary: '  ', jobId: 'j', attemptNumber: 1 })).toBe(
      'Fix it today\n\nCoord-Job: j\nCoord-Attempt: 1\n',
    );
  });
});

describe('pullRequestBody', () => {
  it('ends with a footer naming the job, attempt and agent', () => {
    expect(
      pullRequestBody({ summary: 'Done.', jobId: 'job_1', attemptNumber: 3, agentDisplayName: 'Codex' }),
    ).toBe('Done.\n\n---\nCoord job `job_1`, attempt 3, by Codex.\n');
  });
});

describe('singleLine', () => {
  it('collapses control characters and caps the length', () => {
    expect(singleLine('a\u0000\u001b[31m b\r\nc', 5)).toBe('a [31');
  });
});
