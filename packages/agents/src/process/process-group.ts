import { spawn } from 'node:child_process';
import { runMarkerName } from './escaped-processes.js';

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
 * then SIGKILL after the grace) and, on Linux, every process carrying the run's marker that left
 * the group (escaped-processes.ts), so no orphaned agent or dev server keeps spending tokens or
 * editing files while the job is requeued. It exits by itself once the group is gone while the
 * runner lives and nothing carrying the marker is left (the runner sweeps those then: a runner
 * killed in the middle of that sweep leaves the rest to the watchdog). Its argv holds only
 * numbers and the marker.
 */
const WATCHDOG_SOURCE = `
const fs = require('node:fs');
const pgid = Number(process.argv[1]);
const graceMs = Number(process.argv[2]);
const needle = process.argv[3] ? Buffer.from('${runMarkerName}=' + process.argv[3] + '\\0') : null;
const parent = process.ppid;
const alive = () => { try { process.kill(-pgid, 0); return true; } catch { return false; } };
const marked = (kill) => {
  if (!needle || process.platform !== 'linux') return 0;
  let found = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ;
    try { environ = fs.readFileSync('/proc/' + entry + '/environ'); } catch { continue; }
    if (!environ.includes(needle)) continue;
    found += 1;
    if (kill) try { process.kill(Number(entry), 'SIGKILL'); } catch {}
  }
  return found;
};
const sweep = () => {
  for (let round = 0; round < 5; round += 1) if (marked(true) === 0) return;
};
let goneSince = 0;
const timer = setInterval(() => {
  if (process.ppid === parent) {
    if (alive()) return;
    // The group is gone and the runner sweeps what left it; a while at most, in case it cannot.
    goneSince ||= Date.now();
    if (Date.now() - goneSince > 10000 || marked(false) === 0) process.exit(0);
    return;
  }
  clearInterval(timer);
  try { process.kill(-pgid, 'SIGTERM'); } catch {}
  setTimeout(() => {
    try { process.kill(-pgid, 'SIGKILL'); } catch {}
    sweep();
    process.exit(0);
  }, alive() ? graceMs : 0);
}, 250);
`;

/** The watchdog's command line (after the node binary), for `watchGroup` and its tests. */
export function watchdogArgs(pid: number, graceMs: number, marker?: string): string[] {
  return ['-e', WATCHDOG_SOURCE, String(pid), String(graceMs), ...(marker ? [marker] : [])];
}

export function watchGroup(pid: number, graceMs: number, marker?: string): void {
  try {
    spawn(process.execPath, watchdogArgs(pid, graceMs, marker), {
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
