import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CoordError } from '@coord/runner-core';

const checkoutWorkers = Math.min(16, Math.max(4, availableParallelism()));

function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Rewrites the work tree's `.git/config` to one we wrote ourselves. The agent works in this tree
 * and may have edited its git config (hooks, `url.*.insteadOf`, `core.sshCommand`, filters,
 * `commit.gpgSign`, `include.path`...); the commands that run next (commit, and the push that
 * carries the token) must not obey any of it. Hooks point at an empty directory for the same reason.
 */
export async function resetWorkTreeConfig(
  workDir: string,
  cloneUrl: string,
  emptyHooksDir: string,
  { sparse = false }: { sparse?: boolean } = {},
): Promise<void> {
  const gitDir = join(workDir, '.git');
  const info = await lstat(gitDir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new CoordError(
      'workspace.failed',
      `${workDir} is no longer a git work tree (.git is missing or was replaced).`,
    );
  }
  await mkdir(emptyHooksDir, { recursive: true });
  // A `commondir` file would make git read another repository's config.
  await rm(join(gitDir, 'commondir'), { force: true });
  const windows = process.platform === 'win32';
  const caseInsensitive = windows || process.platform === 'darwin';
  const lines = [
    '[core]',
    '\trepositoryformatversion = 0',
    `\tfilemode = ${!windows}`,
    '\tbare = false',
    '\tlogallrefupdates = true',
    `\tignorecase = ${caseInsensitive}`,
    `\tsymlinks = ${!windows}`,
    ...(process.platform === 'darwin' ? ['\tprecomposeunicode = true'] : []),
    `\thooksPath = ${quoted(emptyHooksDir)}`,
    '\tfsmonitor = false',
    // A sparse job's tree stays sparse: `git add --all` must not see the directories left out as deleted.
    ...(sparse ? ['\tsparseCheckout = true', '\tsparseCheckoutCone = true'] : []),
    // Parallel checkout: writing files waits on the disk more than on the CPU, so more workers
    // than cores still pay (measured twice as fast with 4 workers on 2 busy cores).
    '[checkout]',
    `\tworkers = ${checkoutWorkers}`,
    '[remote "origin"]',
    `\turl = ${quoted(cloneUrl)}`,
    '\tfetch = +refs/heads/*:refs/remotes/origin/*',
    '',
  ];
  const configPath = join(gitDir, 'config');
  // Removed first so that a symlink planted in its place is replaced, not followed.
  await rm(configPath, { force: true });
  await writeFile(configPath, lines.join('\n'), { flag: 'wx' });
}
