import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, MAX_ERROR_ISSUES, toErrorIssues } from './errors.js';

const ids = z.object({ jobIds: z.array(z.string()) });

describe('error issues', () => {
  it('names every issue when there are few', () => {
    const result = ids.safeParse({ jobIds: [1, 'ok', 2] });
    const issues = toErrorIssues(result.error!);
    expect(issues.map((i) => i.path)).toEqual(['jobIds.0', 'jobIds.2']);
    expect(describeIssues(issues)).toBe(
      'jobIds.0: Invalid input: expected string, received number; jobIds.2: Invalid input: expected string, received number',
    );
  });

  it('keeps an error body and its message short when thousands of fields are wrong', () => {
    const result = ids.safeParse({ jobIds: Array.from({ length: 2000 }, () => null) });
    const issues = toErrorIssues(result.error!);
    expect(issues).toHaveLength(MAX_ERROR_ISSUES);
    const message = describeIssues(issues, result.error!.issues.length);
    expect(message.startsWith('jobIds.0: Invalid input: expected string, received null; jobIds.1:')).toBe(
      true,
    );
    expect(message).toContain('jobIds.4:');
    expect(message).not.toContain('jobIds.5:');
    expect(message.endsWith('; and 1995 more')).toBe(true);
    // Without the total, the count is of the issues given.
    expect(describeIssues(issues).endsWith('; and 95 more')).toBe(true);
  });
});
