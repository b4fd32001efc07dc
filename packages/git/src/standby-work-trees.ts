import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CoordError } from '@coord/runner-core';
import type { SimpleGit } from 'simple-git';
import { gitMessage, gitStep, throwIfAborted } from './git.js';
import type { MirrorCache, MirrorState } from './mirror-cache.js';
import { mirrorDirectoryName, remoteDisplayName, type CloneRemote } from './remote-url.js';

export interface StandbyWorkTreesOptions {
  /** Where standbys wait: beside the work trees, on their file system, so a claim is one rename. */
  dir: string;
  mirrors: MirrorCache;
  /** git in a directory, with the port's minimal environment (local `file` transport only). */
  git: (baseDir: string, signal: AbortSignal) => SimpleGit;
  /** Writes the config every job's tree gets (parallel checkout, hooks off), before a checkout. */
  configure: (workDir: string, cloneUrl: string) => Promise<void>;
}

/** The standby of a repository: the mirror's directory name without `.git`. */
export function standbyName(mirrorName: string): string {
  return mirrorName.replace(/\.git$/, '');
}

/**
 * One checked-out work tree per repository, made in the background after a job's prepare, so the
 * next job's prepare writes only the files that differ instead of all of them (checkout dominates
 * for a big repository once the mirror is warm).
 *
 * A standby is always made fresh from the mirror, never recycled from a job's tree. When a job
 * claims it, only its checked-out files and the index that describes them are kept: the `.git`
 * (config, hooks, refs, info/) is a new `clone --shared` from the mirror, exactly what a job
 * without a standby gets, and the caller then forces the files to the job's commit and removes
 * everything untracked or ignored. A standby stays at the mirror's trust level: only the runner
 * writes under its directories.
 */
export class StandbyWorkTrees {
  /** Standbys this process is making, by path. */
  private readonly making = new Map<string, Promise<void>>();
  /** Why the last standby of a repository could not be made, told to its next job. */
  private readonly failures = new Map<string, string>();
  // Background work belongs to no job: only the runner stopping cancels it.
  private readonly stopping = new AbortController();

  constructor(private readonly options: StandbyWorkTreesOptions) {}

  pathFor(remote: CloneRemote): string {
    return join(this.options.dir, standbyName(mirrorDirectoryName(remote)));
  }

  /**
   * Waits for the standby this process is making for `remote`, so that a job that comes while it
   * is being checked out claims it rather than checking out a second copy at the same time (on
   * the same disk, that is slower for both). Holds no lock while waiting.
   */
  async settled(
    remote: CloneRemote,
    signal: AbortSignal,
    log: (message: string) => void,
    whileWaiting: <T>(wait: () => Promise<T>) => Promise<T> = (wait) => wait(),
  ): Promise<void> {
    const making = this.making.get(this.pathFor(remote));
    if (!making) return;
    throwIfAborted(signal, 'Waiting for the standby work tree');
    log(`Waiting for the standby work tree of ${remoteDisplayName(remote)} being checked out`);
    const started = Date.now();
    // A real wait: the job's slot is free for other work meanwhile.
    await whileWaiting(
      () =>
        new Promise<void>((resolve, reject) => {
          const onAbort = () =>
            reject(new CoordError('job.cancelled', 'Waiting for the standby work tree was cancelled.'));
          signal.addEventListener('abort', onAbort, { once: true });
          void making.finally(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        }),
    );
    log(`Waited ${Date.now() - started} ms for the standby work tree`);
  }

  /** Why the last standby of `remote` could not be made, once (null when it was). */
  takeFailure(remote: CloneRemote): string | null {
    const path = this.pathFor(remote);
    const failure = this.failures.get(path) ?? null;
    this.failures.delete(path);
    return failure;
  }

  /**
   * Moves the standby of `remote` to `workDir` and gives it a new `.git` cloned from `mirror`,
   * keeping only the standby's index. Call it holding the mirror's lock, as for a clone. False
   * when there is no standby (none made yet, or another job took it first: the rename is atomic),
   * and when the one taken is unusable: it is removed, and the caller clones as without one.
   */
  async claim(
    remote: CloneRemote,
    mirror: MirrorState,
    workDir: string,
    signal: AbortSignal,
    log: (message: string) => void,
  ): Promise<boolean> {
    const unusable = (error: unknown) =>
      log(`The standby work tree could not be used (${gitMessage(error)}); cloning from the mirror instead`);
    try {
      await rename(this.pathFor(remote), workDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') unusable(error);
      return false;
    }
    const fresh = `${workDir}.claim-${randomBytes(4).toString('hex')}`;
    try {
      await gitStep(signal, 'git.clone_failed', 'Cloning from the mirror', () =>
        this.options
          .git(dirname(workDir), signal)
          .raw(['clone', '--quiet', '--shared', '--no-checkout', '--', mirror.path, fresh]),
      );
      const index = join(workDir, '.git', 'index');
      // A regular file only: a link would make git read (and the checkout trust) another file.
      if (!(await lstat(index)).isFile()) throw new Error('its index is not a regular file');
      await rename(index, join(fresh, '.git', 'index'));
      await rm(join(workDir, '.git'), { recursive: true, force: true });
      await rename(join(fresh, '.git'), join(workDir, '.git'));
      return true;
    } catch (error) {
      if (signal.aborted) throw error;
      unusable(error);
      await rm(workDir, { recursive: true, force: true });
      return false;
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }

  /** Starts making the standby of `remote` in the background, unless there is one or one is being made. */
  replenish(remote: CloneRemote): void {
    const path = this.pathFor(remote);
    if (this.making.has(path) || this.stopping.signal.aborted) return;
    const run = this.make(remote, path)
      .catch((error: unknown) => {
        if (!this.stopping.signal.aborted) this.failures.set(path, gitMessage(error));
      })
      .finally(() => this.making.delete(path));
    this.making.set(path, run);
  }

  /** Resolves once no standby is being made (tests, the bench, and a runner that stops). */
  async idle(): Promise<void> {
    while (this.making.size > 0) await Promise.all(this.making.values());
  }

  /** Stops making standbys (a runner that stops does not wait for a checkout); a half-made one is removed. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private async make(remote: CloneRemote, path: string): Promise<void> {
    if (await exists(join(path, '.git'))) return;
    await mkdir(this.options.dir, { recursive: true });
    const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const signal = this.stopping.signal;
    try {
      // Cloned under the mirror's lock, as a job's tree is (never beside a fetch into the mirror);
      // checked out after it, so the next job's prepare waits for no more than the clone.
      const made = await this.options.mirrors.withLocalMirror(remote, signal, async (mirror) => {
        if (!mirror.head) return false; // an empty repository has nothing to check out
        await gitStep(signal, 'git.clone_failed', 'Cloning the standby work tree', () =>
          this.options
            .git(this.options.dir, signal)
            .raw(['clone', '--quiet', '--shared', '--no-checkout', '--', mirror.path, temporary]),
        );
        return true;
      });
      if (!made) return;
      await this.options.configure(temporary, remote.url);
      const git = this.options.git(temporary, signal);
      await gitStep(signal, 'workspace.failed', 'Checking out the standby work tree', () =>
        git.raw(['reset', '--quiet', '--hard', 'HEAD']),
      );
      // Files written in the index's own second are "racily clean": git would hash every one of
      // them again at the job's checkout. Once the clock is past the index, a refresh records them
      // as clean for good.
      const written = (await stat(join(temporary, '.git', 'index'))).mtimeMs;
      const wait = written + 1_000 - Date.now();
      if (wait > 0) await delay(wait, undefined, { signal });
      await gitStep(signal, 'workspace.failed', 'Refreshing the standby index', () =>
        git.raw(['update-index', '-q', '--refresh']),
      );
      await rename(temporary, path).catch((error: unknown) => {
        // Another runner sharing these directories put one in place first: that one serves.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
