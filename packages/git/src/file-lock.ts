import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

export interface LockOptions {
  signal: AbortSignal;
  /** Give up waiting after this long. */
  timeoutMs?: number;
  /** A lock older than this is taken to be left over by a crash, even if its pid is reused. */
  staleMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: () => void;
  /**
   * Wraps the wait, when there is one (the lock is held by someone else): the caller's job gives
   * its slot back meanwhile. Not called when the lock is free at once.
   */
  whileWaiting?: <T>(wait: () => Promise<T>) => Promise<T>;
}

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding a lock on `lockPath`: first an in-process queue (one mirror update at a
 * time per runner), then a lock file created with `wx`, so that two runner processes sharing a
 * mirrors directory never fetch into the same mirror at once. A lock file whose process is gone
 * (same host) or which is older than `staleMs` is removed.
 */
export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const previous = inProcess.get(lockPath);
  const acquire = async () => {
    await previous?.catch(() => undefined);
    return acquireFileLock(lockPath, options);
  };
  const run = (async () => {
    // Queued behind another job of this runner: that is a wait, too.
    if (previous) options.onWait?.();
    const release = previous && options.whileWaiting ? await options.whileWaiting(acquire) : await acquire();
    try {
      return await fn();
    } finally {
      await release();
    }
  })();
  const tail = run.catch(() => undefined);
  inProcess.set(lockPath, tail);
  void tail.then(() => {
    if (inProcess.get(lockPath) === tail) inProcess.delete(lockPath);
  });
  return run;
}

type Release = () => Promise<void>;

async function acquireFileLock(lockPath: string, options: LockOptions): Promise<Release> {
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
  options.signal.throwIfAborted();
  const now = await tryLockFile(lockPath, owner);
  if (now) return now;
  const wait = () => pollLockFile(lockPath, owner, options);
  return options.whileWaiting ? options.whileWaiting(wait) : wait();
}

/** Creates the lock file (`wx`): its release, or null when someone else holds it. */
async function tryLockFile(lockPath: string, owner: string): Promise<Release | null> {
  try {
    const handle = await open(lockPath, 'wx', 0o600);
    await handle.writeFile(owner);
    await handle.close();
    return () => rm(lockPath, { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return null;
  }
}

async function pollLockFile(lockPath: string, owner: string, options: LockOptions): Promise<Release> {
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  const staleMs = options.staleMs ?? 30 * 60_000;
  let waited = false;
  for (;;) {
    options.signal.throwIfAborted();
    const release = await tryLockFile(lockPath, owner);
    if (release) return release;
    if (await isStale(lockPath, staleMs)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw new Error(`timed out waiting for the lock ${lockPath}`);
    if (!waited) options.onWait?.();
    waited = true;
    // Another process holds the lock: poll, since lock files give no notification.
    await delay(100, undefined, { signal: options.signal });
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const age = Date.now() - info.mtimeMs;
    if (age > staleMs) return true;
    // Empty: the holder died between creating the file and writing its pid.
    if (text.trim() === '') return age > 10_000;
    const holder = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (holder.host !== hostname() || typeof holder.pid !== 'number') return false;
    return !isAlive(holder.pid);
  } catch {
    // Vanished between the checks, or half written by a process that is still creating it.
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
