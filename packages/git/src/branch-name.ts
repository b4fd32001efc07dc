import { createHash } from 'node:crypto';
import { CoordError } from '@coord/runner-core';

/** Branch names longer than this are refused: they end up in URLs, PR pages and path names. */
export const maxBranchNameLength = 200;

/**
 * Why a branch name is unacceptable, or null when it is fine. Implements the rules of
 * `git check-ref-format --branch` and, on top of them, the protocol's conservative character set
 * (ASCII letters, digits, `.`, `_`, `/`, `-`), so that a name can never be read as an option,
 * a revision range or a reflog expression.
 */
export function branchNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > maxBranchNameLength) return `is longer than ${maxBranchNameLength} characters`;
  if (name.startsWith('-')) return 'starts with "-" (it would be read as an option)';
  if (!/^[A-Za-z0-9._/-]+$/.test(name))
    return 'contains characters other than letters, digits, ".", "_", "/" and "-"';
  if (name === 'HEAD' || name === '@') return 'is a reserved name';
  if (name.includes('..')) return 'contains ".." (it would be read as a revision range)';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component';
  if (name.endsWith('.')) return 'ends with "."';
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return 'has a path component starting with "."';
    if (component.endsWith('.lock')) return 'has a path component ending with ".lock"';
  }
  return null;
}

export function isValidBranchName(name: string): boolean {
  return branchNameProblem(name) === null;
}

/** Returns the name unchanged, or throws `git.invalid_branch` saying what is wrong with it. */
export function assertBranchName(name: string, what = 'Branch name'): string {
  const problem = branchNameProblem(name);
  if (problem) {
    // JSON.stringify shows hostile input (control characters, quotes) literally and harmlessly.
    throw new CoordError('git.invalid_branch', `${what} ${JSON.stringify(name.slice(0, 100))} ${problem}.`);
  }
  return name;
}

/** Lowercase ASCII words joined by `-`: "Fix the Übersicht page!" -> "fix-the-ubersicht-page". */
export function slugify(text: string, maxLength: number): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, maxLength).replace(/-+$/, '');
}

/**
 * `coord/<slug of the title>-<8 hex digits of the job id's sha256>`, always a valid branch name.
 * The suffix hashes the whole id: ids are opaque, and prefixes of ids made close together (such as
 * time-ordered ones) are alike, so two jobs with one title would otherwise share a branch.
 */
export function deriveBranchName(job: { id: string; title: string }): string {
  const slug = slugify(job.title, 40) || 'job';
  const suffix = createHash('sha256').update(job.id).digest('hex').slice(0, 8);
  return assertBranchName(`coord/${slug}-${suffix}`, 'Derived branch name');
}
