import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoordError, type RetryPolicy } from '@coord/runner-core';
import { withLock } from './file-lock.js';
import { createGit, gitStep } from './git.js';
import { gitEnvironment } from './git-env.js';
import { networkStep, type NetworkContext } from './network-step.js';
import {
  allowedProtocolsFor,
  mirrorDirectoryName,
  remoteDisplayName,
  type CloneRemote,
} from './remote-url.js';

export interface MirrorCacheOptions {
  mirrorsDir: string;
  ambient: Readonly<Record<string, string | undefined>>;
  binary?: string | undefined;
  /** How fetches and ls-remote are retried through an outage. */
  retry?: Partial<RetryPolicy> | undefined;
}

export interface MirrorRequest {
  remote: CloneRemote;
  token: string | null;
  /** Refresh the mirror's HEAD from the remote (needed when the job names no base branch). */
  refreshDefaultBranch: boolean;
  signal: AbortSignal;
  log: (message: string) => void;
  /** Wraps a wait for another job's update of the same mirror (see `LockOptions.whileWaiting`). */
  whileWaiting?: <T>(wait: () => Promise<T>) => Promise<T>;
}

/**
 * One bare mirror per repository. A mirror is created with `git init --bare` plus the same fetch
 * that updates it (only branches and tags: `clone --mirror` would also copy every `refs/pull/*`).
 * Creation happens in a temporary directory renamed into place, so a crash never leaves a
 * half-made mirror that later looks valid.
 */
export class MirrorCache {
  constructor(private readonly options: MirrorCacheOptions) {}

  mirrorPath(remote: CloneRemote): string {
    return join(this.options.mirrorsDir, mirrorDirectoryName(remote));
  }

  /**
   * Brings the mirror up to date and runs `use` while still holding its lock, with the mirror's
   * branches as they now are (read once here, so the work tree need not list them again).
   */
  async withMirror<T>(request: MirrorRequest, use: (mirror: MirrorState) => Promise<T>): Promise<T> {
    const path = this.mirrorPath(request.remote);
    const name = remoteDisplayName(request.remote);
    return this.locked(path, request, async () => {
      const started = Date.now();
      let refs: string;
      if (await exists(join(path, 'HEAD'))) {
        // One round trip when nothing changed (the common case for the next job): the remote's
        // refs are compared with the mirror's, and the fetch is skipped when they are the same.
        const remote = await this.remoteRefs(path, request);
        refs = await this.localRefs(path, request);
        if (remote.refs === refs) {
          request.log(`Mirror of ${name} already matches the remote`);
        } else {
          request.log(`Updating mirror of ${name}`);
          await this.fetch(path, request);
          refs = await this.localRefs(path, request);
        }
        if (request.refreshDefaultBranch && remote.head) await this.setHead(path, request, remote.head);
      } else {
        request.log(`Creating mirror of ${name}`);
        await this.create(path, request);
        refs = await this.localRefs(path, request);
      }
      await markUsed(path);
      request.log(`Mirror of ${name} up to date in ${Date.now() - started} ms`);
      return use(await mirrorState(path, refs));
    });
  }

  /**
   * Runs `use` on the mirror as it is, under its lock, without asking the remote anything (the
   * background work that follows a job's fetch). Resolves to null when there is no mirror.
   */
  async withLocalMirror<T>(
    remote: CloneRemote,
    signal: AbortSignal,
    use: (mirror: MirrorState) => Promise<T>,
  ): Promise<T | null> {
    const path = this.mirrorPath(remote);
    const request: MirrorRequest = {
      remote,
      token: null,
      refreshDefaultBranch: false,
      signal,
      log: () => {},
    };
    return this.locked(path, request, async () => {
      if (!(await exists(join(path, 'HEAD')))) return null;
      return use(await mirrorState(path, await this.localRefs(path, request)));
    });
  }

  /** Runs `fn` holding the mirror's lock (in-process queue, then a lock file shared with other runners). */
  private async locked<T>(path: string, request: MirrorRequest, fn: () => Promise<T>): Promise<T> {
    const name = remoteDisplayName(request.remote);
    await mkdir(this.options.mirrorsDir, { recursive: true });
    const lockOptions = {
      signal: request.signal,
      onWait: () => request.log(`Waiting for another job to finish with the mirror of ${name}`),
      ...(request.whileWaiting ? { whileWaiting: request.whileWaiting } : {}),
    };
    return withLock(`${path}.lock`, lockOptions, fn).catch((error: unknown) => {
      if (error instanceof CoordError) throw error;
      if (request.signal.aborted)
        throw new CoordError('job.cancelled', 'Updating the mirror was cancelled.', { cause: error });
      throw new CoordError('workspace.failed', `Mirror of ${name}: ${String(error)}`, {
        cause: error,
        retryable: true,
      });
    });
  }

  private async create(path: string, request: MirrorRequest): Promise<void> {
    const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(temporary, { recursive: true });
      const git = this.git(temporary, request, false);
      await gitStep(request.signal, 'git.clone_failed', 'Creating the mirror', async () => {
        await git.raw(['init', '--quiet', '--bare']);
        await git.raw(['config', 'remote.origin.url', request.remote.url]);
        await git.raw(['config', 'remote.origin.fetch', '+refs/heads/*:refs/heads/*']);
        await git.raw(['config', '--add', 'remote.origin.fetch', '+refs/tags/*:refs/tags/*']);
        await git.raw(['config', 'remote.origin.mirror', 'true']);
        // gc in the foreground, under our lock, never racing a clone from this mirror.
        await git.raw(['config', 'gc.autoDetach', 'false']);
        // Work trees borrow the mirror's objects (`clone --shared`): a commit the remote dropped
        // (a force push) may still be a work tree's base, so gc never deletes unreachable objects.
        await git.raw(['config', 'gc.pruneExpire', 'never']);
      });
      await this.fetch(temporary, request);
      await this.refreshHead(temporary, request);
      await rename(temporary, path);
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }

  private async fetch(path: string, request: MirrorRequest): Promise<void> {
    const git = this.git(path, request, true);
    await networkStep(
      this.network(request),
      'git.clone_failed',
      `Fetching ${remoteDisplayName(request.remote)}`,
      () => git.raw(['fetch', '--quiet', '--prune', '--no-recurse-submodules', 'origin']),
    );
  }

  /** Points the mirror's HEAD at the remote's default branch, as `clone --mirror` would. */
  private async refreshHead(path: string, request: MirrorRequest): Promise<void> {
    const { head } = await this.remoteRefs(path, request);
    if (head) await this.setHead(path, request, head);
  }

  /**
   * The remote's branches and tags (`sha ref` lines, sorted) and the branch its HEAD names, in one
   * `ls-remote`. Peeled tags (`^{}`) are left out: the mirror's own list has none.
   */
  private async remoteRefs(
    path: string,
    request: MirrorRequest,
  ): Promise<{ refs: string; head: string | null }> {
    const git = this.git(path, request, true);
    const output = await networkStep(
      this.network(request),
      'git.clone_failed',
      "Reading the remote's branches",
      () => git.raw(['ls-remote', '--symref', 'origin', 'HEAD', 'refs/heads/*', 'refs/tags/*']),
    );
    const head = /^ref: (refs\/heads\/[^\s]+)\tHEAD$/m.exec(output)?.[1] ?? null;
    const refs = output
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(
        ([sha = '', ref = '']) =>
          /^[0-9a-f]{40,64}$/.test(sha) && /^refs\/(heads|tags)\//.test(ref) && !ref.endsWith('^{}'),
      )
      .map(([sha, ref]) => `${sha} ${ref}`)
      .sort()
      .join('\n');
    return { refs, head };
  }

  private async localRefs(path: string, request: MirrorRequest): Promise<string> {
    const output = await gitStep(request.signal, 'git.clone_failed', "Listing the mirror's branches", () =>
      this.git(path, request, false).raw([
        'for-each-ref',
        '--format=%(objectname) %(refname)',
        'refs/heads',
        'refs/tags',
      ]),
    );
    return output.split('\n').filter(Boolean).sort().join('\n');
  }

  private async setHead(path: string, request: MirrorRequest, target: string): Promise<void> {
    if ((await readHead(path)) === target.slice('refs/heads/'.length)) return; // a process saved
    await gitStep(request.signal, 'git.clone_failed', 'Recording the default branch', () =>
      this.git(path, request, false).raw(['symbolic-ref', 'HEAD', target]),
    );
  }

  private network(request: MirrorRequest): NetworkContext {
    return { signal: request.signal, log: request.log, retry: this.options.retry };
  }

  private git(path: string, request: MirrorRequest, network: boolean): ReturnType<typeof createGit> {
    const env = gitEnvironment({
      ambient: this.options.ambient,
      allowedProtocols: allowedProtocolsFor(request.remote),
      token: network ? request.token : null,
    });
    return createGit({ baseDir: path, env, signal: request.signal, binary: this.options.binary });
  }
}

/** The mirror's branches, its default branch, and where it lives. */
export interface MirrorState {
  path: string;
  /** Branch name -> commit. */
  branches: Map<string, string>;
  /** The branch the mirror's HEAD names (the remote's default branch), if any. */
  head: string | null;
}

/** Marks the mirror as used now: retention prunes mirrors by this file's age. */
export const mirrorUsedFile = 'coord-last-used';

async function markUsed(path: string): Promise<void> {
  await writeFile(join(path, mirrorUsedFile), `${new Date().toISOString()}\n`);
}

async function mirrorState(path: string, refs: string): Promise<MirrorState> {
  const branches = branchTips(refs);
  const head = await readHead(path);
  // An empty repository's HEAD names a branch that does not exist yet: no default branch.
  return { path, branches, head: head !== null && branches.has(head) ? head : null };
}

function branchTips(refs: string): Map<string, string> {
  const tips = new Map<string, string>();
  for (const line of refs.split('\n')) {
    const [sha = '', ref = ''] = line.split(' ');
    if (ref.startsWith('refs/heads/')) tips.set(ref.slice('refs/heads/'.length), sha);
  }
  return tips;
}

/** The branch a bare repository's HEAD names, read from the file (git writes it as `ref: <name>`). */
async function readHead(path: string): Promise<string | null> {
  const head = await readFile(join(path, 'HEAD'), 'utf8').catch(() => '');
  return /^ref: refs\/heads\/(\S+)\s*$/.exec(head)?.[1] ?? null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
