import { CoordError } from '@coord/runner-core';
import type { SimpleGit } from 'simple-git';
import { gitStep } from './git.js';

/** GitHub refuses files over 100 MB and warns over 50 MB: the runner stops at the warning. */
export const defaultMaxFileBytes = 50 * 1024 * 1024;

export interface OversizedFile {
  path: string;
  bytes: number;
}

function size(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb >= 1) return `${Number(mb.toFixed(1))} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/**
 * The files `base..commit` adds or changes that are larger than `maxBytes`, largest first. One
 * `ls-tree` of the commit gives every blob's size; only the changed paths are kept, so files the
 * repository already had at that size are not this attempt's to answer for.
 */
export async function oversizedFiles(
  git: SimpleGit,
  signal: AbortSignal,
  base: string,
  commit: string,
  maxBytes: number,
): Promise<OversizedFile[]> {
  const changed = new Set(
    (
      await gitStep(signal, 'git.commit_failed', 'Listing the changed files', () =>
        git.raw(['diff', '--name-only', '-z', '--no-renames', '--diff-filter=AMT', base, commit]),
      )
    )
      .split('\0')
      .filter(Boolean),
  );
  if (changed.size === 0) return [];
  const tree = await gitStep(signal, 'git.commit_failed', 'Reading file sizes', () =>
    git.raw(['ls-tree', '-r', '-l', '-z', '--full-tree', commit]),
  );
  const found: OversizedFile[] = [];
  for (const entry of tree.split('\0')) {
    // `<mode> blob <sha> <size padded>\t<path>`
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const path = entry.slice(tab + 1);
    if (!changed.has(path)) continue;
    const bytes = Number(entry.slice(0, tab).trim().split(/\s+/)[3]);
    if (Number.isFinite(bytes) && bytes > maxBytes) found.push({ path, bytes });
  }
  return found.sort((a, b) => b.bytes - a.bytes);
}

/** Refuses to push a commit that adds a file over the limit, naming each such file and its size. */
export async function refuseOversizedFiles(
  git: SimpleGit,
  signal: AbortSignal,
  base: string,
  commit: string,
  branch: string,
  maxBytes: number,
): Promise<void> {
  const found = await oversizedFiles(git, signal, base, commit, maxBytes);
  if (found.length === 0) return;
  const listed = found
    .slice(0, 10)
    .map((file) => `${file.path} (${size(file.bytes)})`)
    .join(', ');
  const more = found.length > 10 ? ` and ${found.length - 10} more` : '';
  throw new CoordError(
    'git.file_too_large',
    `Refusing to push ${branch}: ${found.length === 1 ? 'a file is' : `${found.length} files are`} larger than the ${size(maxBytes)} limit: ${listed}${more}. ` +
      "Leave build output and data out of the repository (add them to .gitignore), or raise the runner's file size limit.",
    { details: { files: found.slice(0, 50) } },
  );
}
