import { lstat, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { withLock } from './file-lock.js';
import { mirrorUsedFile } from './mirror-cache.js';
import { standbyName } from './standby-work-trees.js';

/** Where a runner keeps its repositories: the mirror cache and the root of the attempts' work trees. */
export interface RepositoryDirs {
  mirrorsDir: string;
  /** `<workspaceDir>/<jobId>/attempt-<n>` are the work trees. */
  workspaceDir: string;
}

/** Standby work trees wait in `<workspaceDir>/.coord-standby/<mirror name without .git>`. */
export function standbyDir(dirs: RepositoryDirs): string {
  return join(resolve(dirs.workspaceDir), '.coord-standby');
}

export interface MirrorUsage {
  path: string;
  bytes: number;
  /** When a job last used it (its marker file, else the directory's own time). */
  lastUsedAt: Date;
}

export interface WorkTreeUsage {
  path: string;
  bytes: number;
  /** The last time git or the runner changed it (its HEAD, index or directory). */
  lastChangedAt: Date;
}

export interface RepositoryDiskUsage {
  mirrors: MirrorUsage[];
  workTrees: WorkTreeUsage[];
  /** The checked-out trees waiting for each repository's next job (one per mirror at most). */
  standbys: WorkTreeUsage[];
}

const DAY_MS = 86_400_000;

/** Sizes of every mirror, work tree and standby work tree, for `coord-runner doctor`. Files hard-linked twice count once. */
export async function repositoryDiskUsage(dirs: RepositoryDirs): Promise<RepositoryDiskUsage> {
  const seen = new Set<string>();
  const mirrors: MirrorUsage[] = [];
  for (const path of await listMirrors(dirs.mirrorsDir)) {
    mirrors.push({ path, bytes: await directoryBytes(path, seen), lastUsedAt: await mirrorLastUsed(path) });
  }
  const workTrees: WorkTreeUsage[] = [];
  for (const path of await listWorkTrees(dirs.workspaceDir)) {
    workTrees.push({
      path,
      bytes: await directoryBytes(path, seen),
      lastChangedAt: await workTreeLastChanged(path),
    });
  }
  const standbys: WorkTreeUsage[] = [];
  for (const path of await listStandbys(dirs)) {
    standbys.push({
      path,
      bytes: await directoryBytes(path, seen),
      lastChangedAt: await workTreeLastChanged(path),
    });
  }
  return { mirrors, workTrees, standbys };
}

export interface RetentionPolicy {
  /** A mirror no job used for this many days is removed (it is made again when a job needs it). */
  mirrorRetentionDays: number;
  /** A work tree left behind (a failed or stopped attempt's) is removed after this many days unchanged. */
  workTreeRetentionDays: number;
}

export const defaultRetention: RetentionPolicy = { mirrorRetentionDays: 30, workTreeRetentionDays: 14 };

export interface PruneResult {
  removedMirrors: string[];
  removedWorkTrees: string[];
  /**
   * Standbys go with their mirror and when standbys are off; what a crash left half-made goes too
   * (a standby being made, or the fresh clone a job took one with).
   */
  removedStandbys: string[];
  freedBytes: number;
}

/** A half-made standby older than this was left by a runner that died making it. */
const STALE_TEMPORARY_MS = 3_600_000;

/**
 * Removes work trees unchanged for `workTreeRetentionDays` and then mirrors unused for
 * `mirrorRetentionDays`. `inUse` work trees (attempts of this process) are kept whatever their age,
 * and so is a mirror a remaining work tree still borrows objects from (its alternates name it).
 * A mirror is removed under its lock, renamed away first, so that a prepare never sees half of one;
 * its standby work tree goes with it. `keepStandbys: false` (standbys turned off) removes them all.
 */
export async function pruneRepositoryDisk(
  dirs: RepositoryDirs,
  policy: RetentionPolicy,
  {
    now = Date.now(),
    inUse = new Set<string>(),
    keepStandbys = true,
  }: { now?: number; inUse?: ReadonlySet<string>; keepStandbys?: boolean } = {},
): Promise<PruneResult> {
  const result: PruneResult = {
    removedMirrors: [],
    removedWorkTrees: [],
    removedStandbys: [],
    freedBytes: 0,
  };
  const removeStandby = async (path: string) => {
    result.freedBytes += await directoryBytes(path, new Set());
    await rm(path, { recursive: true, force: true });
    result.removedStandbys.push(path);
  };
  const mirrorNames = new Set(
    (await listMirrors(dirs.mirrorsDir)).map((path) => standbyName(basename(path))),
  );
  for (const path of await listStandbys(dirs)) {
    // One whose mirror is gone could not even be checked out (it borrows the mirror's objects).
    if (!keepStandbys || !mirrorNames.has(basename(path))) await removeStandby(path);
  }
  for (const path of [
    ...(await listStandbyLeftovers(dirs)),
    ...(await listClaimLeftovers(dirs.workspaceDir)),
  ]) {
    const info = await lstat(path).catch(() => null);
    if (info && now - info.mtimeMs > STALE_TEMPORARY_MS) await removeStandby(path);
  }
  const kept: string[] = [];
  for (const path of await listWorkTrees(dirs.workspaceDir)) {
    const age = now - (await workTreeLastChanged(path)).getTime();
    if (inUse.has(path) || age < policy.workTreeRetentionDays * DAY_MS) {
      kept.push(path);
      continue;
    }
    result.freedBytes += await directoryBytes(path, new Set());
    await rm(path, { recursive: true, force: true });
    await rmdir(join(path, '..')).catch(() => undefined); // the job's dir, once empty
    result.removedWorkTrees.push(path);
  }
  const borrowed = new Set<string>();
  for (const path of kept) {
    const alternates = await readFile(join(path, '.git', 'objects', 'info', 'alternates'), 'utf8').catch(
      () => '',
    );
    for (const line of alternates.split('\n')) if (line.trim()) borrowed.add(resolve(line.trim(), '..'));
  }
  for (const path of await listMirrors(dirs.mirrorsDir)) {
    if (borrowed.has(path)) continue;
    const controller = new AbortController();
    await withLock(`${path}.lock`, { signal: controller.signal, timeoutMs: 60_000 }, async () => {
      // Read again under the lock: a job may have used it since the list was made.
      if (now - (await mirrorLastUsed(path)).getTime() < policy.mirrorRetentionDays * DAY_MS) return;
      // Its standby first: it borrows this mirror's objects, and is only of use with it.
      const standby = join(standbyDir(dirs), standbyName(basename(path)));
      if (await lstat(standby).catch(() => null)) await removeStandby(standby);
      const bytes = await directoryBytes(path, new Set());
      const doomed = `${path}.removing-${process.pid}`;
      await rename(path, doomed);
      await rm(doomed, { recursive: true, force: true });
      result.freedBytes += bytes;
      result.removedMirrors.push(path);
    }).catch(() => undefined); // busy (a long fetch): the next sweep tries again
  }
  return result;
}

/** What the runner's housekeeping asks of its repositories: their size, and removing what is stale. */
export interface RepositoryDiskCare {
  diskUsage(): Promise<RepositoryDiskUsage>;
  /** Work trees of attempts this instance prepared and has not released are kept whatever their age. */
  pruneDisk(policy?: RetentionPolicy): Promise<PruneResult>;
}

/**
 * Prunes now and then every `everyMs` (default 6 hours) until the returned function is called.
 * The timer never keeps the process alive; a failed sweep is reported and the next one tries again.
 */
export function pruneRepositoryDiskPeriodically(
  care: RepositoryDiskCare,
  policy: RetentionPolicy,
  { everyMs = 6 * 3_600_000, onError }: { everyMs?: number; onError: (error: unknown) => void },
): () => void {
  let running = false;
  const sweep = () => {
    if (running) return; // a sweep over a big disk outlasting the interval is not doubled
    running = true;
    care
      .pruneDisk(policy)
      .catch(onError)
      .finally(() => (running = false));
  };
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function listMirrors(mirrorsDir: string): Promise<string[]> {
  const names = await readdir(resolve(mirrorsDir)).catch(() => []);
  return names.filter((name) => name.endsWith('.git')).map((name) => join(resolve(mirrorsDir), name));
}

/** `<workspaceDir>/<job>/attempt-<n>` directories (the hooks dir and anything else are left alone). */
const listWorkTrees = (workspaceDir: string) => jobDirectories(workspaceDir, /^attempt-\d+$/);

/** The fresh clones a job takes a standby with (`attempt-N.claim-*`): only a crash leaves one. */
const listClaimLeftovers = (workspaceDir: string) =>
  jobDirectories(workspaceDir, /^attempt-\d+\.claim-[0-9a-f]+$/);

/** The directories named like `name` inside the job directories of the workspace. */
async function jobDirectories(workspaceDir: string, name: RegExp): Promise<string[]> {
  const root = resolve(workspaceDir);
  const found: string[] = [];
  for (const job of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!job.isDirectory() || job.name.startsWith('.')) continue;
    for (const entry of await readdir(join(root, job.name), { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory() && name.test(entry.name)) found.push(join(root, job.name, entry.name));
    }
  }
  return found;
}

/** Standby work trees, whole (their `.tmp-` siblings are still being made, or left by a crash). */
async function listStandbys(dirs: RepositoryDirs): Promise<string[]> {
  const root = standbyDir(dirs);
  const names = await readdir(root, { withFileTypes: true }).catch(() => []);
  return names
    .filter((entry) => entry.isDirectory() && !entry.name.includes('.tmp-'))
    .map((entry) => join(root, entry.name));
}

async function listStandbyLeftovers(dirs: RepositoryDirs): Promise<string[]> {
  const root = standbyDir(dirs);
  const names = await readdir(root).catch(() => []);
  return names.filter((name) => name.includes('.tmp-')).map((name) => join(root, name));
}

async function mirrorLastUsed(path: string): Promise<Date> {
  const marker = await stat(join(path, mirrorUsedFile)).catch(() => null);
  return marker?.mtime ?? (await stat(path)).mtime;
}

async function workTreeLastChanged(path: string): Promise<Date> {
  const candidates = [path, join(path, '.git'), join(path, '.git', 'HEAD'), join(path, '.git', 'index')];
  let latest = 0;
  for (const candidate of candidates) {
    const info = await lstat(candidate).catch(() => null);
    if (info) latest = Math.max(latest, info.mtimeMs);
  }
  return new Date(latest);
}

/** Bytes of the files under `dir`, symlinks not followed, each inode once (`seen` spans calls). */
async function directoryBytes(dir: string, seen: Set<string>): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const info = await lstat(join(entry.parentPath, entry.name)).catch(() => null);
    if (!info) continue;
    const key = `${info.dev}:${info.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    total += info.size;
  }
  return total;
}
