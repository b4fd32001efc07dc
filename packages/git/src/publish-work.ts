import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoordError, type PublishInput, type PublishResult, type RetryPolicy } from '@coord/runner-core';
import type { ForgeCredentials } from '@coord/runner-protocol';
import type { SimpleGit } from 'simple-git';
import { assertBranchName } from './branch-name.js';
import { refuseOversizedFiles } from './file-size-limit.js';
import { gitStep, isAncestor, throwIfAborted } from './git.js';
import { forgeToken, type GitIdentity } from './git-env.js';
import { commitMessage, pullRequestBody, singleLine } from './messages.js';
import { upsertPullRequest } from './pull-requests.js';
import { pushBranch } from './push-branch.js';
import { allowedProtocolsFor, remoteDisplayName, type CloneRemote } from './remote-url.js';
import { scanDiffForSecrets } from './secret-scan.js';
import { resetWorkTreeConfig } from './work-tree-config.js';

/** What publishing needs of the port: the job's remote, how git runs here, and the limits. */
export interface PublishContext {
  remote: CloneRemote;
  git(
    baseDir: string,
    signal: AbortSignal,
    allowedProtocols?: readonly string[],
    token?: string | null,
    identity?: GitIdentity,
  ): SimpleGit;
  author: GitIdentity;
  emptyHooksDir: string;
  maxFileBytes: number;
  octokitFetch: typeof fetch | undefined;
  retry: Partial<RetryPolicy> | undefined;
}

/**
 * Publishes an attempt's work: commits what the agent changed (the message through a file, never
 * an argument), refuses oversized files and secrets, pushes the job branch, and opens or updates
 * its pull request. Nothing new is `no_changes`, unless an earlier attempt pushed the branch and
 * was killed before its pull request was recorded.
 */
export async function publishWork(context: PublishContext, input: PublishInput): Promise<PublishResult> {
  const { workspace, job, attempt, repository, signal, log } = input;
  throwIfAborted(signal, 'Publishing the work');
  const { remote } = context;
  const branch = assertBranchName(workspace.branch, 'Job branch');
  const baseBranch = assertBranchName(workspace.baseBranch, 'Base branch');
  const baseCommit = assertCommitId(workspace.baseCommit);
  const token = forgeToken(input.forge);
  const { workDir } = workspace;

  await resetWorkTreeConfig(workDir, remote.url, context.emptyHooksDir, {
    sparse: repository.sparse !== undefined,
  });
  await removeStaleIndexLock(workDir, log);
  const git = context.git(workDir, signal, [], null, context.author);
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

  await refuseOversizedFiles(git, signal, baseCommit, commit, branch, context.maxFileBytes);
  await refuseSecrets(git, signal, baseCommit, commit, branch, token);
  const filesChanged = (
    await gitStep(signal, 'git.commit_failed', 'Counting changed files', () =>
      git.raw(['diff', '--name-only', '-z', '--no-renames', baseCommit, commit]),
    )
  )
    .split('\0')
    .filter(Boolean).length;

  const pushed = await pushBranch({
    remoteGit: context.git(workDir, signal, allowedProtocolsFor(remote), token),
    localGit: git,
    branch,
    commit,
    base: baseCommit,
    where: remoteDisplayName(remote),
    // A branch rebased at prepare replaces origin's old tip, and only that tip.
    replaces: originTip && !(await isAncestor(git, signal, originTip, commit)) ? originTip : null,
    signal,
    log,
    retry: context.retry,
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
    fetch: context.octokitFetch,
    signal,
    log,
    retry: context.retry,
  });
  log(`${pull.created ? 'Opened' : 'Updated'} pull request #${pull.number}`);
  return {
    kind: 'pull_request',
    pullRequest: { url: pull.url, number: pull.number, branch },
    commit: pushed,
    filesChanged,
  };
}

async function refuseSecrets(
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

/** HEAD has commits the base branch (as origin had it at prepare) lacks. */
async function isAheadOf(git: SimpleGit, signal: AbortSignal, baseBranch: string): Promise<boolean> {
  const count = await gitStep(signal, 'git.commit_failed', `Comparing with ${baseBranch}`, () =>
    git.raw(['rev-list', '--count', `refs/remotes/origin/${baseBranch}..HEAD`]),
  );
  return Number(count.trim()) > 0;
}
