import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  assertBranchName,
  branchNameProblem,
  deriveBranchName,
  isValidBranchName,
  slugify,
} from './branch-name.js';

const valid = [
  'main',
  'feature/x',
  'coord/fix-it-job_1234',
  'release-1.2',
  'a/b/c',
  'x_y',
  'a.b',
  'UPPER/Case',
];
const invalid = [
  '',
  '-x',
  '--upload-pack=x',
  'a..b',
  'a b',
  'a~1',
  'a^',
  'a:b',
  'a?',
  'a*',
  'a[',
  'a\\b',
  'main@{1}',
  '@',
  'HEAD',
  '/a',
  'a/',
  'a//b',
  'a.',
  '.a',
  'a/.b',
  'a.lock',
  'a/b.lock/c',
  'tab\tname',
  'nul\u0000',
  'ü',
  'x'.repeat(201),
];

function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH },
    });
    return true;
  } catch {
    return false;
  }
}

describe('branchNameProblem', () => {
  it.each(valid)('accepts %j', (name) => {
    expect(branchNameProblem(name)).toBeNull();
  });

  it.each(invalid)('refuses %j', (name) => {
    expect(isValidBranchName(name)).toBe(false);
  });

  it('never accepts a name git itself refuses', () => {
    for (const name of [...valid, ...invalid].filter((n) => !n.includes('\u0000'))) {
      if (isValidBranchName(name)) expect(gitAccepts(name), name).toBe(true);
    }
  });

  it('says what is wrong, showing the name harmlessly', () => {
    expect(() => assertBranchName('a..b')).toThrow(/"a\.\.b" contains "\.\."/);
    expect(() => assertBranchName('-x', 'Attempt branch')).toThrow(/^Attempt branch "-x" starts with "-"/);
  });
});

describe('deriveBranchName', () => {
  const suffixOf = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);

  it('is coord/<slug>-<8 hex digits of the job id hash>', () => {
    expect(deriveBranchName({ id: 'job_01HZX9ABCDEF', title: 'Fix the login page' })).toBe(
      `coord/fix-the-login-page-${suffixOf('job_01HZX9ABCDEF')}`,
    );
  });

  it('gives two jobs with one title and ids alike in their first characters different branches', () => {
    const a = deriveBranchName({ id: 'job_mwvwj4050d7a56ed2a06', title: 'Fix the login page' });
    const b = deriveBranchName({ id: 'job_mwvwj40j87b1ec73a9d4', title: 'Fix the login page' });
    expect(a).not.toBe(b);
  });

  it('caps the slug at 40 characters without a trailing dash', () => {
    const branch = deriveBranchName({ id: 'abcdefghijk', title: 'word '.repeat(30) });
    expect(branch).toBe(`coord/word-word-word-word-word-word-word-word-${suffixOf('abcdefghijk')}`);
  });

  it('turns accents and punctuation into plain words and survives an empty title', () => {
    expect(slugify('Übersicht: café ändern!', 40)).toBe('ubersicht-cafe-andern');
    expect(deriveBranchName({ id: 'j1', title: '!!!' })).toBe(`coord/job-${suffixOf('j1')}`);
  });

  it('always yields a name git accepts', () => {
    for (const title of ['..', '-rf', 'a/b', '@{1}', '日本語のタイトル', 'x.lock']) {
      expect(gitAccepts(deriveBranchName({ id: 'job.:1', title }))).toBe(true);
    }
  });
});
