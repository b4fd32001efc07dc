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

  it('credits the submitter with a Co-authored-by trailer, and drops one that would break the trailer', () => {
    const base = { title: 'T', summary: 'S', jobId: 'j', attemptNumber: 1 };
    expect(commitMessage({ ...base, coAuthor: { name: 'Ada\nLovelace', email: 'ada@example.com' } })).toBe(
      'T\n\nS\n\nCoord-Job: j\nCoord-Attempt: 1\nCo-authored-by: Ada Lovelace <ada@example.com>\n',
    );
    expect(commitMessage({ ...base, coAuthor: { name: 'X', email: 'not an email' } })).not.toContain(
      'Co-authored-by',
    );
  });
});

describe('pullRequestBody', () => {
  it('links the job and lists the attempts, the reviewer feedback each one answered included', () => {
    const body = pullRequestBody({
      summary: 'Renamed the helper as asked.',
      jobId: 'job_1',
      jobUrl: 'http://127.0.0.1:7420/jobs/job_1',
      attemptNumber: 3,
      agentDisplayName: 'Codex',
      feedback: 'Please rename\nthe helper',
      earlier: [
        { number: 1, status: 'failed', summary: null, error: 'Push rejected' },
        { number: 2, status: 'succeeded', summary: 'Added the helper.', error: null },
      ],
    });
    expect(body).toBe(
      'Renamed the helper as asked.\n\n---\n' +
        'Coord job [`job_1`](http://127.0.0.1:7420/jobs/job_1), attempt 3, by Codex.\n\n' +
        'Attempts:\n' +
        '- Attempt 1: failed — Push rejected\n' +
        '- Attempt 2: succeeded — Added the helper.\n' +
        '- Attempt 3 (this one): pushed — answering review "Please rename the helper" — Renamed the helper as asked.\n',
    );
  });

  it('names the job without a link when the server gave none', () => {
    expect(
      pullRequestBody({ summary: '', jobId: 'job_1', attemptNumber: 1, agentDisplayName: 'Codex' }),
    ).toBe(
      '_The agent left no summary._\n\n---\nCoord job `job_1`, attempt 1, by Codex.\n\nAttempts:\n- Attempt 1 (this one): pushed\n',
    );
  });
});

describe('singleLine', () => {
  it('collapses control characters and caps the length', () => {
    expect(singleLine('a\u0000\u001b[31m b\r\nc', 5)).toBe('a [31');
  });
});
