import { describe, expect, it } from 'vitest';
import { deepLinkInArgs, jobFromDeepLink } from './deep-link.js';

describe('deep links', () => {
  it('opens a job', () => {
    expect(jobFromDeepLink('coord-runner://jobs/job_01HZX')).toBe('job_01HZX');
    expect(deepLinkInArgs(['/opt/app', '--flag', 'coord-runner://jobs/job_1'])).toBe(
      'coord-runner://jobs/job_1',
    );
  });
  it.each([
    'https://jobs/job_1',
    'coord-runner://jobs/',
    'coord-runner://jobs/job_1/extra',
    'coord-runner://settings/job_1',
    'coord-runner://jobs/..%2F..%2Fetc',
    'coord-runner://jobs/../../etc',
    'coord-runner://jobs/job_1?next=https://evil.example',
    'coord-runner://jobs/%3Cscript%3E',
    `coord-runner://jobs/${'a'.repeat(101)}`,
    'coord-runner:jobs',
    'not a url',
  ])('ignores %s', (link) => {
    expect(jobFromDeepLink(link)).toBeNull();
  });
});
