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
}

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding a lock on `lockPath`: first an in-process queue (one mirror update at a
 * time per runner), then a lock file created with `wx`, so that two runner processes sharing a
 * mirrors directory never fetch into the same mirror at once. A lock file whose process is gone
 * (same host) or which is older than `staleMs` is removed.
 */
export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const previous = inProcess.get(lockPath) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      const release = await acquireFileLock(lockPath, options);
      try {
        return await fn();
      } finally {
        await release();
      }
    });
  const tail = run.catch(() => undefined);
  inProcess.set(lockPath, tail);
  void tail.then(() => {
    if (inProcess.get(lockPath) === tail) inProcess.delete(lockPath);
  });
  return run;
}

async function acquireFileLock(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  const staleMs = options.staleMs ?? 30 * 60_000;
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
  let waited = false;
  for (;;) {
    options.signal.throwIfAborted();
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(owner);
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
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
