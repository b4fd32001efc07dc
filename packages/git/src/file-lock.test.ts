import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from './file-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coord-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const signal = new AbortController().signal;

describe('withLock', () => {
  it('runs holders one at a time in this process, in order, and releases on failure', async () => {
    const lock = join(dir, 'm.lock');
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = withLock(lock, { signal }, async () => {
      order.push('first:start');
      await gate;
      order.push('first:end');
      throw new Error('boom');
    });
    const second = withLock(lock, { signal }, async () => {
      order.push('second');
      return 2;
    });
    await Promise.resolve();
    release();
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe(2);
    expect(order).toEqual(['first:start', 'first:end', 'second']);
    await expect(readFile(lock)).rejects.toThrow();
  });

  it('wraps only real waits in whileWaiting: behind this process or another one, never a free lock', async () => {
    const lock = join(dir, 'm.lock');
    const waits: string[] = [];
    const whileWaiting = <T>(wait: () => Promise<T>) => {
      waits.push('wait');
      return wait();
    };
    await withLock(lock, { signal, whileWaiting }, async () => undefined);
    expect(waits).toEqual([]);

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = withLock(lock, { signal, whileWaiting }, () => gate);
    const second = withLock(lock, { signal, whileWaiting }, async () => 'second');
    release();
    await first;
    await expect(second).resolves.toBe('second');
    expect(waits).toEqual(['wait']);

    // Held by another live process (this one's pid in the file stands in for it).
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    const third = withLock(lock, { signal, whileWaiting }, async () => 'third');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(waits).toEqual(['wait', 'wait']);
    await rm(lock);
    await expect(third).resolves.toBe('third');
  });

  it('writes the holder into the lock file while held', async () => {
    const lock = join(dir, 'm.lock');
    const holder = await withLock(lock, { signal }, () => readFile(lock, 'utf8'));
    expect(JSON.parse(holder)).toMatchObject({ pid: process.pid, host: hostname() });
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const lock = join(dir, 'm.lock');
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    await expect(withLock(lock, { signal }, async () => 'got it')).resolves.toBe('got it');
  });

  it('waits for a live holder and gives up at the deadline', async () => {
    const lock = join(dir, 'm.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    let waited = false;
    await expect(
      withLock(lock, { signal, timeoutMs: 0, onWait: () => (waited = true) }, async () => 'never'),
    ).rejects.toThrow(/timed out waiting for the lock/);
    expect(waited).toBe(false);
  });

  it('stops waiting when the signal aborts', async () => {
    const lock = join(dir, 'm.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    const controller = new AbortController();
    const attempt = withLock(
      lock,
      { signal: controller.signal, onWait: () => controller.abort() },
      async () => 'never',
    );
    await expect(attempt).rejects.toThrow();
    expect(controller.signal.aborted).toBe(true);
  });
});
