import { CoordError } from '@coord/runner-core';
import type { SimpleGit } from 'simple-git';
import { gitStep, isAncestor } from './git.js';

/**
 * What a revision does when the base branch moved since the job's branch was made: `merge` the base
 * into it (the default; the push stays a fast-forward), `rebase` it onto the base (a linear history;
 * the push then replaces the old branch, with a lease on exactly that commit), or `keep` it as is.
 */
export type BaseDriftPolicy = 'merge' | 'rebase' | 'keep';

export interface CatchUpRequest {
  /** Runs in the work tree with the runner's identity, never the token. */
  git: SimpleGit;
  signal: AbortSignal;
  branch: string;
  baseBranch: string;
  baseTip: string;
  policy: BaseDriftPolicy;
  log: (message: string) => void;
}

async function conflictedFiles(git: SimpleGit): Promise<string[]> {
  const output = await git.raw(['diff', '--name-only', '--diff-filter=U', '-z']).catch(() => '');
  return output.split('\0').filter(Boolean);
}

/**
 * Brings the checked-out job branch up to date with its base. Returns the new HEAD, or null when the
 * branch already contains the base (or the policy is `keep`). A conflict is aborted, so the work
 * tree is clean, and fails the attempt naming the files: nobody's work is changed on origin.
 */
export async function catchUpWithBase(request: CatchUpRequest): Promise<string | null> {
  const { git, signal, branch, baseBranch, baseTip, policy } = request;
  if (policy === 'keep' || (await isAncestor(git, signal, baseTip, 'HEAD'))) return null;
  request.log(
    `${baseBranch} moved since ${branch} was made; ${policy === 'merge' ? 'merging it in' : `rebasing onto it`}`,
  );
  const args =
    policy === 'merge'
      ? [
          'merge',
          '--quiet',
          '--no-edit',
          '--no-verify',
          '--no-gpg-sign',
          '--no-ff',
          '-m',
          `Merge ${baseBranch} into ${branch}`,
          baseTip,
        ]
      : ['rebase', '--quiet', '--no-autostash', '--no-verify', '--no-gpg-sign', baseTip];
  // simple-git resolves a merge that stopped on conflicts (git says so on stdout): look, either way.
  const failure = await git.raw(args).then(
    () => null,
    (error: unknown) => error ?? new Error('git failed'),
  );
  const conflicts = await conflictedFiles(git);
  if (failure !== null || conflicts.length > 0) {
    await git.raw([policy === 'merge' ? 'merge' : 'rebase', '--abort']).catch(() => undefined);
    if (signal.aborted) {
      throw new CoordError('job.cancelled', 'Preparing the work tree was cancelled.', { cause: failure });
    }
    if (conflicts.length === 0) {
      return gitStep(signal, 'workspace.failed', `Bringing ${branch} up to date with ${baseBranch}`, () =>
        Promise.reject(failure),
      );
    }
    const listed =
      conflicts.slice(0, 10).join(', ') + (conflicts.length > 10 ? ` and ${conflicts.length - 10} more` : '');
    throw new CoordError(
      'git.conflict',
      `${branch} conflicts with ${baseBranch} (which moved since the branch was made) in ${listed}: ` +
        `the ${policy} was abandoned and nothing was pushed. Resolve the conflict on ${branch}, or merge ${baseBranch} into it, then request changes again.`,
      { cause: failure, retryable: false, details: { conflicts: conflicts.slice(0, 50), policy } },
    );
  }
  return (
    await gitStep(signal, 'workspace.failed', 'Reading HEAD', () =>
      git.raw(['rev-parse', '--verify', 'HEAD']),
    )
  ).trim();
}
