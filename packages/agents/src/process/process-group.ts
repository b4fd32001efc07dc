import { spawn } from 'node:child_process';

/**
 * POSIX process groups. Agents start detached (their own group, pgid = pid) so that a stop reaches
 * every descendant: npm shims, relaunching wrappers and the commands the agent ran.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    // EPERM and the like: at least reach the leader.
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

// execa's `cleanup` does nothing for detached subprocesses, so the runner kills the groups it
// still owns when it exits (normal exits and handled signals). A SIGKILLed runner cannot: that
// case is the watchdog's (below).
const liveGroups = new Set<number>();
let hookInstalled = false;

export function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!hookInstalled) {
    hookInstalled = true;
    process.once('exit', () => {
      for (const group of liveGroups) signalGroup(group, 'SIGKILL');
    });
  }
}

export function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
}

/**
 * A tiny process, started next to each agent, that outlives a runner killed without warning
 * (kill -9, the OOM killer): it notices it was reparented and stops the agent's group (SIGTERM,
 * then SIGKILL after the grace), so no orphaned agent keeps spending tokens or editing files while
 * the job is requeued. It exits by itself once the group is gone. Its argv holds only numbers.
 */
const WATCHDOG_SOURCE = `
const pgid = Number(process.argv[1]);
const graceMs = Number(process.argv[2]);
const parent = process.ppid;
const alive = () => { try { process.kill(-pgid, 0); return true; } catch { return false; } };
const timer = setInterval(() => {
  if (!alive()) process.exit(0);
  if (process.ppid === parent) return;
  clearInterval(timer);
  try { process.kill(-pgid, 'SIGTERM'); } catch {}
  setTimeout(() => { try { process.kill(-pgid, 'SIGKILL'); } catch {} process.exit(0); }, graceMs);
}, 250);
`;

export function watchGroup(pid: number, graceMs: number): void {
  try {
    spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(pid), String(graceMs)], {
      detached: true,
      stdio: 'ignore',
      // It needs nothing from the runner's environment, which may hold its tokens.
      env: {},
      windowsHide: true,
    }).unref();
  } catch {
    // Without a watchdog the agent is still stopped on every exit but a kill -9 of the runner.
  }
}
