import { CoordError, isCoordError, type RetryPolicy } from '@coord/runner-core';
import type { SimpleGit } from 'simple-git';
import { gitStep, isTransientGitFailure } from './git.js';
import { networkStep } from './network-step.js';

export interface PushBranchRequest {
  /** Runs network commands (push, fetch): carries the token. */
  remoteGit: SimpleGit;
  /** Runs local commands in the work tree (rebase): carries the runner's identity, never the token. */
  localGit: SimpleGit;
  branch: string;
  /** The commit to publish. */
  commit: string;
  /** Where this attempt's own commits start: `base..commit` is what a rebase replays. */
  base: string;
  /** Shown in messages: `owner/repo`. */
  where: string;
  /**
   * Origin's tip this push replaces (a branch rebased onto a moved base): pushed with a lease on
   * exactly that commit, so anything else someone pushed makes it fail rather than vanish.
   */
  replaces?: string | null | undefined;
  signal: AbortSignal;
  log: (message: string) => void;
  /** How the push and fetch are retried through an outage. */
  retry?: Partial<RetryPolicy> | undefined;
}

/** How often the branch may move under us before we give up (a new attempt then starts from it). */
const maxRounds = 3;

/**
 * Pushes `commit` to the job's branch without force. When origin's branch moved (someone pushed,
 * or an earlier attempt's push landed late), this attempt's commits are rebased onto it and pushed
 * again: the push stays a fast-forward and nothing anyone pushed is lost. Returns the commit
 * that origin's branch now points at.
 */
export async function pushBranch(request: PushBranchRequest): Promise<string> {
  const { branch } = request;
  let { commit, base } = request;
  for (let round = 1; ; round++) {
    try {
      await networkStep(
        request,
        'git.push_failed',
        `Push of ${branch} to ${request.where}`,
        () =>
          request.remoteGit.raw([
            'push',
            '--no-verify',
            '--porcelain',
            ...(request.replaces ? [`--force-with-lease=refs/heads/${branch}:${request.replaces}`] : []),
            'origin',
            `${commit}:refs/heads/${branch}`,
          ]),
        (message) => !isRejection(message) && isTransientGitFailure(message),
      );
      return commit;
    } catch (error) {
      if (!isCoordError(error) || error.code !== 'git.push_failed') throw error;
      if (/\[remote rejected\]/i.test(error.message)) {
        // The forge refused the update itself (a hook, branch protection): a policy, not a race.
        const protectedBranch = /protected branch|GH006|GH013|branch protection|repository rule/i.test(
          error.message,
        );
        throw new CoordError(
          'git.push_rejected',
          error.message.replace(/ failed: /, ' was refused by the forge: ') +
            (protectedBranch
              ? ` ${branch} is protected on the forge: let the runner's token push to it (or exempt coord/* branches from the rule), then run the job again.`
              : ''),
          { cause: error, retryable: false },
        );
      }
      if (!isRejection(error.message)) throw error;
      if (request.replaces) {
        throw new CoordError(
          'git.push_rejected',
          `Push of ${branch} to ${request.where} was rejected: the branch moved on origin after this attempt rebased it, and the push replaces only the commit it rebased; the next attempt starts from what is there now.`,
          { cause: error, retryable: true },
        );
      }
      if (round >= maxRounds) {
        throw new CoordError(
          'git.push_rejected',
          `Push of ${branch} to ${request.where} was rejected ${round} times: the branch keeps moving on origin; the next attempt starts from it.`,
          { cause: error, retryable: true },
        );
      }
    }
    request.log(
      `${branch} moved on origin since this attempt started; putting this attempt's commits on top`,
    );
    const remoteTip = await fetchBranch(request);
    commit = await rebaseOnto(request, remoteTip, base);
    base = remoteTip;
  }
}

/** A push git refused because origin's branch is not an ancestor of ours. */
function isRejection(message: string): boolean {
  return /\[rejected\]|non-fast-forward|fetch first/i.test(message);
}

async function fetchBranch(request: PushBranchRequest): Promise<string> {
  const tracking = `refs/remotes/origin/${request.branch}`;
  await networkStep(request, 'git.push_failed', `Fetching ${request.branch} from ${request.where}`, () =>
    request.remoteGit.raw([
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-recurse-submodules',
      'origin',
      `+refs/heads/${request.branch}:${tracking}`,
    ]),
  );
  return (
    await gitStep(request.signal, 'git.push_failed', 'Reading the fetched branch', () =>
      request.localGit.raw(['rev-parse', '--verify', `${tracking}^{commit}`]),
    )
  ).trim();
}

/**
 * Replays `base..HEAD` onto `onto`. Commits whose change is already there (an earlier attempt's
 * identical work) drop out. A conflict is aborted, so the work tree keeps this attempt's commit,
 * and fails naming the files: resolving it is the next attempt's job, which starts from `onto`.
 */
async function rebaseOnto(request: PushBranchRequest, onto: string, base: string): Promise<string> {
  const { localGit: git, signal, branch } = request;
  try {
    await git.raw([
      'rebase',
      '--quiet',
      '--no-autostash',
      '--no-verify',
      '--no-gpg-sign',
      '--onto',
      onto,
      base,
    ]);
  } catch (error) {
    const conflicts = (await git.raw(['diff', '--name-only', '--diff-filter=U', '-z']).catch(() => ''))
      .split('\0')
      .filter(Boolean);
    await git.raw(['rebase', '--abort']).catch(() => undefined);
    if (signal.aborted) throw new CoordError('job.cancelled', 'Publishing was cancelled.', { cause: error });
    const listed =
      conflicts.slice(0, 10).join(', ') + (conflicts.length > 10 ? ` and ${conflicts.length - 10} more` : '');
    throw new CoordError(
      'git.push_rejected',
      `Push of ${branch} to ${request.where} was rejected: someone pushed to it, and their changes conflict with this attempt's` +
        (conflicts.length > 0 ? ` in ${listed}` : '') +
        ". This attempt's commit is kept in its work tree; the next attempt starts from their changes.",
      { cause: error, retryable: true, details: { conflicts: conflicts.slice(0, 50) } },
    );
  }
  return (
    await gitStep(signal, 'git.commit_failed', 'Reading HEAD', () =>
      git.raw(['rev-parse', '--verify', 'HEAD']),
    )
  ).trim();
}
