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
// still owns when it exits (normal exits and handled signals; a SIGKILLed runner cannot).
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
