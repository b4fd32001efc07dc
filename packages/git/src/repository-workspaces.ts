import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import {
  CoordError,
  type RetryPolicy,
  type PreparedWorkspace,
  type PrepareInput,
  type PublishInput,
  type PublishResult,
  type RepositoryWorkspacePort,
} from '@coord/runner-core';
import type { SimpleGit } from 'simple-git';
import { catchUpWithBase, type BaseDriftPolicy } from './base-drift.js';
import { assertBranchName, deriveBranchName } from './branch-name.js';
import { defaultMaxFileBytes } from './file-size-limit.js';
import { createGit, gitMessage, gitStep, throwIfAborted } from './git.js';
import { forgeToken, gitEnvironment, type GitIdentity } from './git-env.js';
import { MirrorCache } from './mirror-cache.js';
import { publishWork } from './publish-work.js';
import {
  defaultRetention,
  pruneRepositoryDisk,
  repositoryDiskUsage,
  type PruneResult,
  type RepositoryDirs,
  type RepositoryDiskCare,
  type RepositoryDiskUsage,
  type RetentionPolicy,
  standbyDir,
} from './repository-disk.js';
import { parseCloneUrl, remoteDisplayName, type CloneRemote } from './remote-url.js';
import { StandbyWorkTrees } from './standby-work-trees.js';
import { resetWorkTreeConfig } from './work-tree-config.js';

export interface RepositoryWorkspacesOptions {
  /** Root of the attempts' work trees: `<workspaceDir>/<jobId>/attempt-<n>`. */
  workspaceDir: string;
  /** Cache of bare mirrors, one per repository. */
  mirrorsDir: string;
  /** Author and committer of the runner's commits (the job's submitter is credited as co-author). */
  author?: GitIdentity;
  /** A commit that adds a file larger than this is not pushed (default 50 MB, GitHub's warning size). */
  maxFileBytes?: number;
  /** Accept `file:` clone URLs. Only for the local server and tests. */
  allowFileRemotes?: boolean;
  /** How a revision catches up with a base branch that moved: merge it in (default), rebase, or keep. */
  baseDrift?: BaseDriftPolicy;
  /** The git executable (default `git` on PATH). */
  gitBinary?: string;
  /** The fetch octokit uses (tests). */
  octokitFetch?: typeof fetch;
  /** The environment the minimal git environment is picked from (default `process.env`). */
  environment?: Readonly<Record<string, string | undefined>>;
  /**
   * How fetches, pushes and pull-request calls are retried through transient failures (network,
   * 5xx, rate limits): core's `defaultRetryPolicy` (up to 5 minutes) unless overridden.
   */
  retry?: Partial<RetryPolicy>;
  /**
   * Keep one checked-out work tree per repository ready for its next job, made in the background
   * after each prepare (default true): the next job's checkout writes only the files that changed.
   * Costs one checkout's disk per repository.
   */
  standbyWorkTrees?: boolean;
}

export const defaultAuthor: GitIdentity = { name: 'Coord Runner', email: 'runner@coord.invalid' };

/** Background work of the port that no job waits for. */
export interface RepositoryBackgroundWork {
  /** Resolves once no standby work tree is being made (tests, benchmarks). */
  idle(): Promise<void>;
  /** Stops the background work for good (the runner is stopping); what it left half-made is removed. */
  stopBackground(): Promise<void>;
}

/** Repository jobs on this machine: mirrors, work trees, commits, pushes and pull requests. */
export function createRepositoryWorkspaces(
  options: RepositoryWorkspacesOptions,
): RepositoryWorkspacePort & RepositoryDiskCare & RepositoryBackgroundWork {
  return new RepositoryWorkspaces(options);
}

/** What one prepare is for, checked once before any attempt at it. */
interface PrepareTarget {
  remote: CloneRemote;
  requestedBase: string | null;
  branch: string;
  token: string | null;
  workDir: string;
  sparse: readonly string[] | null;
}

/** A claimed standby that could not be brought to the job's commit: the prepare clones instead. */
class StandbyUnusable extends Error {}

class RepositoryWorkspaces implements RepositoryWorkspacePort, RepositoryDiskCare, RepositoryBackgroundWork {
  private readonly workspaceDir: string;
  private readonly mirrors: MirrorCache;
  private readonly author: GitIdentity;
  private readonly ambient: Readonly<Record<string, string | undefined>>;
  private readonly emptyHooksDir: string;
  private readonly dirs: RepositoryDirs;
  /** Work trees prepared here and not yet released. */
  private readonly live = new Set<string>();
  private readonly standbys: StandbyWorkTrees | null;

  constructor(private readonly options: RepositoryWorkspacesOptions) {
    this.workspaceDir = resolve(options.workspaceDir);
    this.ambient = options.environment ?? process.env;
    this.author = options.author ?? defaultAuthor;
    this.emptyHooksDir = join(this.workspaceDir, '.coord-no-hooks');
    this.dirs = { mirrorsDir: resolve(options.mirrorsDir), workspaceDir: this.workspaceDir };
    this.mirrors = new MirrorCache({
      mirrorsDir: resolve(options.mirrorsDir),
      ambient: this.ambient,
      binary: options.gitBinary,
      retry: options.retry,
    });
    this.standbys =
      options.standbyWorkTrees === false
        ? null
        : new StandbyWorkTrees({
            dir: standbyDir(this.dirs),
            mirrors: this.mirrors,
            // No job waits for a standby: its checkout runs at low priority, behind the jobs and agents.
            git: (baseDir, signal) =>
              this.git(baseDir, signal, ['file'], null, undefined, { lowPriority: true }),
            configure: (workDir, cloneUrl) => resetWorkTreeConfig(workDir, cloneUrl, this.emptyHooksDir),
          });
  }

  async prepare(input: PrepareInput): Promise<PreparedWorkspace> {
    const { job, attempt, repository, signal, log } = input;
    throwIfAborted(signal, 'Preparing the work tree');
    const remote = this.parseRemote(repository.cloneUrl);
    const target: PrepareTarget = {
      remote,
      requestedBase: repository.baseBranch ? assertBranchName(repository.baseBranch, 'Base branch') : null,
      branch: attempt.branch ? assertBranchName(attempt.branch, 'Attempt branch') : deriveBranchName(job),
      token: forgeToken(input.forge),
      workDir: this.workDirFor(job.id, attempt.number),
      sparse: repository.sparse ?? null,
    };
    // A sparse job writes only its directories: a clone does that, thinning a full standby would not.
    const standby = target.sparse === null ? this.standbys : null;
    try {
      return await this.prepareTree(input, target, standby);
    } catch (error) {
      if (!(error instanceof StandbyUnusable)) throw error;
      log(`The standby work tree could not be used (${error.message}); cloning from the mirror instead`);
      return await this.prepareTree(input, target, null);
    } finally {
      // The next job on this repository finds a checked-out tree waiting, made in the background.
      this.standbys?.replenish(remote);
    }
  }

  private async prepareTree(
    input: PrepareInput,
    { remote, requestedBase, branch, token, workDir, sparse }: PrepareTarget,
    standby: StandbyWorkTrees | null,
  ): Promise<PreparedWorkspace> {
    const { attempt, signal, log } = input;
    const started = Date.now();
    // A work tree left by an earlier try of this attempt is replaced: reusing one is core's decision, made before prepare.
    this.live.add(workDir);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(dirname(workDir), { recursive: true });
    try {
      if (standby) {
        const failure = standby.takeFailure(remote);
        if (failure)
          log(`The last standby work tree of ${remoteDisplayName(remote)} could not be made: ${failure}`);
        await standby.settled(remote, signal, log, input.whileWaiting);
      }
      const origin = await this.mirrors.withMirror(
        {
          remote,
          token,
          refreshDefaultBranch: requestedBase === null,
          signal,
          log,
          ...(input.whileWaiting ? { whileWaiting: input.whileWaiting } : {}),
        },
        async (mirror) => {
          const cloneStarted = Date.now();
          const claimed = standby ? await standby.claim(remote, mirror, workDir, signal, log) : false;
          if (!claimed) {
            // `--shared`: the work tree borrows the mirror's objects through `objects/info/alternates`
            // instead of copying or hard-linking them (one file written, however big the history), yet
            // is a repository of its own: its config, hooks, refs, index and new objects are in its own
            // `.git`, and git never writes to an alternate, so nothing the agent does there through git
            // (hooks, config, branch -f, gc, prune) reaches the mirror or another job's tree. A linked
            // `git worktree` would share the mirror's config, refs and hooks: that is why it is not used.
            // Hooks a template (`init.templateDir`) copies in never run: the hooks path is ours before checkout.
            const git = this.git(dirname(workDir), signal, ['file']);
            await gitStep(signal, 'git.clone_failed', 'Cloning from the mirror', () =>
              git.raw(['clone', '--quiet', '--shared', '--no-checkout', '--', mirror.path, workDir]),
            );
          }
          log(
            claimed
              ? `Took the standby work tree of ${remoteDisplayName(remote)} and gave it a .git cloned from the mirror in ${Date.now() - cloneStarted} ms`
              : `Cloned ${remoteDisplayName(remote)} from the mirror in ${Date.now() - cloneStarted} ms`,
          );
          return { tips: mirror.branches, head: mirror.head, claimed };
        },
      );
      // What a claimed standby brings is its checked-out files: any failure to bring them to the
      // job's commit falls back to a plain clone (never a failed job).
      const onStandby = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (error) {
          if (!origin.claimed || signal.aborted) throw error;
          throw new StandbyUnusable(`${what}: ${gitMessage(error)}`);
        }
      };
      await onStandby('writing its config', () =>
        resetWorkTreeConfig(workDir, remote.url, this.emptyHooksDir, { sparse: sparse !== null }),
      );

      const git = this.git(workDir, signal);
      if (sparse) {
        // Before the checkout, so that only these directories are ever written. The schema made
        // them plain relative directories; `--` keeps even a hostile one from being an option.
        await gitStep(signal, 'workspace.failed', 'Setting up the sparse checkout', () =>
          git.raw(['sparse-checkout', 'set', '--cone', '--', ...sparse]),
        );
        log(`Sparse checkout of ${sparse.join(', ')}`);
      }
      const baseBranch = requestedBase ?? defaultBranch(origin);
      const baseTip = origin.tips.get(baseBranch);
      if (!baseTip) {
        throw new CoordError(
          'git.invalid_branch',
          `Base branch ${baseBranch} does not exist on ${remoteDisplayName(remote)}.`,
        );
      }
      // The job's branch on origin is continued: a revision's, and also one an earlier attempt pushed
      // but never recorded (killed before reporting), so its work is kept and our push fast-forwards.
      const branchTip = origin.tips.get(branch);
      const start = branchTip ?? baseTip;
      const checkoutStarted = Date.now();
      // On a standby, `--force` overwrites whatever differs from the index or from `start`, so only
      // the files that changed since the standby was made are written; `clean -ffdx` then removes
      // every untracked and ignored file, nested repositories included.
      await onStandby('checking it out', () =>
        gitStep(signal, 'workspace.failed', `Checking out ${branch}`, () =>
          git.raw([
            'checkout',
            '--quiet',
            ...(origin.claimed ? ['--force'] : []),
            '--no-track',
            '-B',
            branch,
            start,
          ]),
        ),
      );
      if (origin.claimed) {
        await onStandby('cleaning it', () =>
          gitStep(signal, 'workspace.failed', 'Removing untracked files', () => git.raw(['clean', '-ffdxq'])),
        );
        log(`Brought the standby work tree to ${start.slice(0, 8)} in ${Date.now() - checkoutStarted} ms`);
      }
      log(
        branchTip
          ? `Continuing branch ${branch} at ${start.slice(0, 8)}${attempt.branch ? '' : ', which an earlier attempt pushed'}`
          : `Created branch ${branch} from ${baseBranch} at ${start.slice(0, 8)}`,
      );
      const caughtUp = branchTip
        ? await catchUpWithBase({
            git: this.git(workDir, signal, [], null, this.author),
            signal,
            branch,
            baseBranch,
            baseTip,
            policy: this.options.baseDrift ?? 'merge',
            log,
          })
        : null;
      log(`Work tree ready in ${Date.now() - started} ms`);
      return { workDir, branch, baseBranch, baseCommit: caughtUp ?? start, originTip: branchTip ?? null };
    } catch (error) {
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
      this.live.delete(workDir);
      throw error;
    }
  }

  publish(input: PublishInput): Promise<PublishResult> {
    return publishWork(
      {
        remote: this.parseRemote(input.repository.cloneUrl),
        git: (baseDir, signal, allowedProtocols, token, identity) =>
          this.git(baseDir, signal, allowedProtocols, token, identity),
        author: this.author,
        emptyHooksDir: this.emptyHooksDir,
        maxFileBytes: this.options.maxFileBytes ?? defaultMaxFileBytes,
        octokitFetch: this.options.octokitFetch,
        retry: this.options.retry,
      },
      input,
    );
  }

  private parseRemote(cloneUrl: string): CloneRemote {
    return parseCloneUrl(cloneUrl, { allowFileRemotes: this.options.allowFileRemotes ?? false });
  }

  async release(workDir: string): Promise<void> {
    const root = resolve(this.workspaceDir);
    const target = resolve(workDir);
    // Only ever a work tree this port made: a path outside its root is left alone.
    if (!target.startsWith(root + sep)) return;
    await rm(target, { recursive: true, force: true });
    this.live.delete(target);
    await rmdir(dirname(target)).catch(() => undefined); // the job's dir, once it is empty
  }

  diskUsage(): Promise<RepositoryDiskUsage> {
    return repositoryDiskUsage(this.dirs);
  }

  pruneDisk(policy: RetentionPolicy = defaultRetention): Promise<PruneResult> {
    return pruneRepositoryDisk(this.dirs, policy, {
      inUse: this.live,
      keepStandbys: this.standbys !== null,
    });
  }

  idle(): Promise<void> {
    return this.standbys?.idle() ?? Promise.resolve();
  }

  stopBackground(): Promise<void> {
    return this.standbys?.stop() ?? Promise.resolve();
  }

  private workDirFor(jobId: string, attemptNumber: number): string {
    if (!Number.isInteger(attemptNumber) || attemptNumber < 1) {
      throw new CoordError(
        'job.invalid_payload',
        `Attempt number ${attemptNumber} is not a positive integer.`,
      );
    }
    // Ids are validated by the protocol; this keeps even a hostile one a single, portable path segment.
    const segment = jobId
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 128);
    if (!segment) throw new CoordError('job.invalid_payload', 'The job id is empty.');
    return join(this.workspaceDir, segment, `attempt-${attemptNumber}`);
  }

  private git(
    baseDir: string,
    signal: AbortSignal,
    allowedProtocols: readonly string[] = [],
    token: string | null = null,
    identity?: GitIdentity,
    { lowPriority = false }: { lowPriority?: boolean } = {},
  ): SimpleGit {
    const env = gitEnvironment({ ambient: this.ambient, allowedProtocols, token, identity });
    return createGit({ baseDir, env, signal, binary: this.options.gitBinary, lowPriority });
  }
}

interface OriginBranches {
  /** Branch name -> commit, as the mirror had them when the work tree was cloned. */
  tips: Map<string, string>;
  /** What origin's HEAD points at, if anything. */
  head: string | null;
}

function defaultBranch(origin: OriginBranches): string {
  if (!origin.head) {
    throw new CoordError(
      'git.invalid_branch',
      'The repository has no default branch (is it empty?); give the job a base branch.',
    );
  }
  return assertBranchName(origin.head, 'Default branch');
}
