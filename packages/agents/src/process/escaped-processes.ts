import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { ATTEMPT_RUN_ENV } from '@coord/runner-core';

/**
 * Processes an agent started that left its process group (a dev server, a browser, a daemon that
 * called setsid) survive a signal to the group. Every agent process gets a random marker in its
 * environment, which its descendants inherit whatever group or session they move to, and when
 * the run ends every process still carrying it is killed (as CI runners do with a build id). Read
 * from /proc, so Linux only; elsewhere the process group is what a stop reaches.
 */
export const runMarkerName = 'COORD_RUNNER_RUN';

export function newRunMarker(): string {
  return randomBytes(8).toString('hex');
}

const canScan = process.platform === 'linux';

/** Pids of live processes whose environment carries `marker` as `name` (never this process). */
export async function findMarkedProcesses(marker: string, name = runMarkerName): Promise<number[]> {
  if (!canScan) return [];
  const needle = Buffer.from(`${name}=${marker}\0`);
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found = await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return null;
      const environ = await readFile(`/proc/${entry}/environ`).catch(() => null);
      return environ?.includes(needle) ? Number(entry) : null;
    }),
  );
  return found.filter((pid): pid is number => pid !== null);
}

/**
 * Kills every process carrying `marker`, scanning again until none is left (one may fork while
 * the last scan runs), at most `rounds` times. Returns the pids it killed.
 */
export async function killMarkedProcesses(
  marker: string,
  rounds = 5,
  name = runMarkerName,
): Promise<number[]> {
  const killed: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const pids = await findMarkedProcesses(marker, name);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        if (!killed.includes(pid)) killed.push(pid);
      } catch {
        // gone meanwhile
      }
    }
    // A killed process is a zombie until its parent reaps it, and a zombie's environ reads empty.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return killed;
}

/**
 * Kills what an agent start of a runner that was killed left running (found by the start's
 * `ATTEMPT_RUN_ENV` marker), before the restarted runner starts the agent again: the old and the
 * new agent never work in the same directory at once. Returns how many it killed.
 */
export async function stopLeftoverProcesses(attemptRunMarker: string): Promise<number> {
  return (await killMarkedProcesses(attemptRunMarker, 5, ATTEMPT_RUN_ENV)).length;
}
