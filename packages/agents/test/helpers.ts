import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentEvent, AgentRun } from '@coord/runner-core';
import { afterEach } from 'vitest';

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temp directory, removed after the test. */
export async function tempDir(prefix = 'coord-agents-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Records a run's events from the start; `until` waits for one with a deadline (no sleeps). */
export function record(run: AgentRun) {
  const events: AgentEvent[] = [];
  const waiters: Array<() => void> = [];
  run.events$.subscribe((event) => {
    events.push(event);
    for (const wake of waiters.splice(0)) wake();
  });
  const until = async <T extends AgentEvent>(predicate: (e: AgentEvent) => e is T, ms = 3000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching event within ${ms} ms; got ${events.map((e) => e.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { events, until, types: () => events.map((e) => e.type) };
}

export const ofType =
  <K extends AgentEvent['type']>(
    type: K,
    extra: (e: Extract<AgentEvent, { type: K }>) => boolean = () => true,
  ) =>
  (e: AgentEvent): e is Extract<AgentEvent, { type: K }> =>
    e.type === type && extra(e as Extract<AgentEvent, { type: K }>);

/**
 * True once a process is gone. A zombie counts as gone: it runs nothing, and in containers whose
 * PID 1 does not reap orphans it may linger in the table.
 */
export async function isGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (process.platform !== 'linux') return false;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || /\) Z /.test(stat);
}

/** Polls (with a deadline) until the process is gone; throws if it outlives the deadline. */
export async function waitUntilGone(pid: number, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await isGone(pid))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still alive after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
