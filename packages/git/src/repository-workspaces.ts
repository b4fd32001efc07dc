import { mkdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import {
  CoordError,
  registerSecret,
  type RetryPolicy,
  type PreparedWorkspace,
  type PrepareInput,
  type PublishInput,
  type PublishResult,
  type RepositoryWorkspacePort,
} from '@coord/runner-core';
import type { ForgeCredentials } from '@coord/runner-protocol';
import type { SimpleGit } from 'simple-git';
import { catchUpWithBase, type BaseDriftPolicy } from './base-drift.js';
import { assertBranchName, deriveBranchName } from './branch-name.js';
import { defaultMaxFileBytes, refuseOversizedFiles } from './file-size-limit.js';
import { createGit, gitMessage, gitStep, isAncestor, throwIfAborted } from './git.js';
import { authorizationHeaderValue, gitEnvironment, type GitIdentity } from './git-env.js';
import { commitMessage, pullRequestBody, singleLine } from './messages.js';
import { MirrorCache } from './mirror-cache.js';
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
import { upsertPullRequest } from './pull-requests.js';
import { pushBranch } from './push-branch.js';
import { allowedProtocolsFor, parseCloneUrl, remoteDisplayName, type CloneRemote } from './remote-url.js';
import { scanDiffForSecrets } from './secret-scan.js';
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
            git: (baseDir, signal) => this.git(baseDir, signal, ['file']),
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

  async publish(input: PublishInput): Promise<PublishResult> {
    const { workspace, job, attempt, repository, signal, log } = input;
    throwIfAborted(signal, 'Publishing the work');
    const remote = this.parseRemote(repository.cloneUrl);
    const branch = assertBranchName(workspace.branch, 'Job branch');
    const baseBranch = assertBranchName(workspace.baseBranch, 'Base branch');
    const baseCommit = assertCommitId(workspace.baseCommit);
    const token = forgeToken(input.forge);
    const { workDir } = workspace;

    await resetWorkTreeConfig(workDir, remote.url, this.emptyHooksDir, {
      sparse: repository.sparse !== undefined,
    });
    await removeStaleIndexLock(workDir, log);
    const git = this.git(workDir, signal, [], null, this.author);
    // In a sparse tree, `--sparse` also takes files the agent made outside the checked-out directories.
    const add = repository.sparse ? ['add', '--all', '--sparse'] : ['add', '--all'];
    await gitStep(signal, 'git.commit_failed', 'Staging the changes', () => git.raw(add));
    const staged =
      (await gitStep(signal, 'git.commit_failed', 'Listing the changes', () =>
        git.raw(['diff', '--cached', '--name-only', '-z']),
      )) !== '';
    // What origin's branch lacks: the agent's commits, and a merge or rebase onto a moved base.
    const originTip = workspace.originTip ? assertCommitId(workspace.originTip) : null;
    const agentCommits = Number(
      (
        await gitStep(signal, 'git.commit_failed', 'Counting commits', () =>
          git.raw(['rev-list', '--count', `${originTip ?? baseCommit}..HEAD`]),
        )
      ).trim(),
    );
    // Nothing new from this attempt is no change, unless the branch an earlier attempt pushed is
    // ahead of the base with no pull request recorded (it was killed before reporting): that PR is due.
    if (
      !staged &&
      agentCommits === 0 &&
      (attempt.branch !== null || !(await isAheadOf(git, signal, baseBranch)))
    ) {
      log('No changes to publish');
      return { kind: 'no_changes' };
    }
    const forge = requireForge(input.forge, remote);

    if (staged) {
      const messageFile = join(workDir, '.git', 'COORD_COMMIT_MSG');
      await writeFile(
        messageFile,
        commitMessage({
          title: job.title,
          summary: input.summary,
          jobId: job.id,
          attemptNumber: attempt.number,
          coAuthor: job.submitter ?? null,
        }),
      );
      // The message goes through a file: agent-written text is never an argument to git.
      await gitStep(signal, 'git.commit_failed', 'Committing', () =>
        git.raw([
          'commit',
          '--quiet',
          '--no-verify',
          '--no-gpg-sign',
          '--cleanup=whitespace',
          '--file',
          messageFile,
        ]),
      );
      await rm(messageFile, { force: true });
    }
    const commit = (
      await gitStep(signal, 'git.commit_failed', 'Reading HEAD', () =>
        git.raw(['rev-parse', '--verify', 'HEAD']),
      )
    ).trim();

    await refuseOversizedFiles(
      git,
      signal,
      baseCommit,
      commit,
      branch,
      this.options.maxFileBytes ?? defaultMaxFileBytes,
    );
    await this.refuseSecrets(git, signal, baseCommit, commit, branch, token);
    const filesChanged = (
      await gitStep(signal, 'git.commit_failed', 'Counting changed files', () =>
        git.raw(['diff', '--name-only', '-z', '--no-renames', baseCommit, commit]),
      )
    )
      .split('\0')
      .filter(Boolean).length;

    const pushed = await pushBranch({
      remoteGit: this.git(workDir, signal, allowedProtocolsFor(remote), token),
      localGit: git,
      branch,
      commit,
      base: baseCommit,
      where: remoteDisplayName(remote),
      // A branch rebased at prepare replaces origin's old tip, and only that tip.
      replaces: originTip && !(await isAncestor(git, signal, originTip, commit)) ? originTip : null,
      signal,
      log,
      retry: this.options.retry,
    });
    log(
      `Pushed branch ${branch} (${pushed.slice(0, 8)}, ${filesChanged} file${filesChanged === 1 ? '' : 's'} changed)`,
    );

    const pull = await upsertPullRequest({
      forge,
      owner: repository.owner,
      repo: repository.name,
      branch,
      base: baseBranch,
      title: singleLine(job.title) || `Coord job ${job.id}`,
      body: pullRequestBody({
        summary: input.summary,
        jobId: job.id,
        jobUrl: job.webUrl ?? null,
        attemptNumber: attempt.number,
        agentDisplayName: input.agentDisplayName,
        earlier: attempt.earlier,
        feedback: attempt.feedback ?? null,
      }),
      draft: repository.draft ?? false,
      fetch: this.options.octokitFetch,
      signal,
      log,
      retry: this.options.retry,
    });
    log(`${pull.created ? 'Opened' : 'Updated'} pull request #${pull.number}`);
    return {
      kind: 'pull_request',
      pullRequest: { url: pull.url, number: pull.number, branch },
      commit: pushed,
      filesChanged,
    };
  }

  private async refuseSecrets(
    git: SimpleGit,
    signal: AbortSignal,
    baseCommit: string,
    commit: string,
    branch: string,
    token: string | null,
  ): Promise<void> {
    const diff = await gitStep(signal, 'git.commit_failed', 'Reading the diff', () =>
      git.raw(['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--unified=0', baseCommit, commit]),
    );
    const findings = scanDiffForSecrets(diff, token ? [token] : []);
    if (findings.length === 0) return;
    const listed = findings
      .slice(0, 5)
      .map((finding) => `${finding.kind} in ${finding.file} line ${finding.line}`)
      .join('; ');
    const more = findings.length > 5 ? ` and ${findings.length - 5} more` : '';
    throw new CoordError(
      'git.secret_detected',
      `Refusing to push ${branch}: the changes add what looks like a secret (${listed}${more}). ` +
        'Remove it, and revoke it if it is real, then run the job again.',
      { details: { findings: findings.slice(0, 20) } },
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
  ): SimpleGit {
    const env = gitEnvironment({ ambient: this.ambient, allowedProtocols, token, identity });
    return createGit({ baseDir, env, signal, binary: this.options.gitBinary });
  }
}

/**
 * A git killed mid-write (the runner's earlier run got `kill -9` while committing, and this
 * attempt was taken up again) leaves `.git/index.lock`, and every later git in the tree fails on
 * it. Nothing else runs git here while publishing (the agent has exited), so it is stale.
 */
async function removeStaleIndexLock(workDir: string, log: (message: string) => void): Promise<void> {
  const lock = join(workDir, '.git', 'index.lock');
  const found = await stat(lock).then(
    () => true,
    () => false,
  );
  if (!found) return;
  await rm(lock, { force: true });
  log('Removed a stale .git/index.lock left by a git process that was killed');
}

/** The forge token, registered for redaction (and its Basic header form) before anything can print it. */
function forgeToken(forge: ForgeCredentials | null): string | null {
  if (!forge) return null;
  registerSecret(forge.token);
  registerSecret(authorizationHeaderValue(forge.token).replace(/^Basic /, ''));
  return forge.token;
}

function requireForge(forge: ForgeCredentials | null, remote: CloneRemote): ForgeCredentials {
  if (forge) return forge;
  throw new CoordError(
    'git.pr_failed',
    `No forge credentials came with this job, so no pull request can be opened on ${remoteDisplayName(remote)}; nothing was pushed.`,
    { retryable: false },
  );
}

function assertCommitId(value: string): string {
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(value)) {
    throw new CoordError(
      'workspace.failed',
      `Base commit ${JSON.stringify(value.slice(0, 80))} is not a commit id.`,
    );
  }
  return value;
}

interface OriginBranches {
  /** Branch name -> commit, as the mirror had them when the work tree was cloned. */
  tips: Map<string, string>;
  /** What origin's HEAD points at, if anything. */
  head: string | null;
}

/** HEAD has commits the base branch (as origin had it at prepare) lacks. */
async function isAheadOf(git: SimpleGit, signal: AbortSignal, baseBranch: string): Promise<boolean> {
  const count = await gitStep(signal, 'git.commit_failed', `Comparing with ${baseBranch}`, () =>
    git.raw(['rev-list', '--count', `refs/remotes/origin/${baseBranch}..HEAD`]),
  );
  return Number(count.trim()) > 0;
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
