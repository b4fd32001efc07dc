import { readdirSync, readFileSync } from 'node:fs';

/** A live process of the chaos run, read from /proc. */
export interface ScannedProcess {
  pid: number;
  ppid: number;
  /** The runner's COORD_RUNNER_RUN marker of the agent run it belongs to, if an agent started it. */
  run: string | null;
  command: string;
}

function read(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

/**
 * Every live (not zombie) process whose environment holds `HOME=<home>`: the chaos run gives its
 * runners a HOME of their own, and agent processes inherit HOME whatever group or session they
 * move to, so this finds all of them and nothing of other tests. Linux only (empty elsewhere).
 */
export function processesWithHome(home: string): ScannedProcess[] {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`\0HOME=${home}\0`);
  const found: ScannedProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = read(`/proc/${entry}/environ`);
    if (!environ || !Buffer.concat([Buffer.from([0]), environ]).includes(needle)) continue;
    const stat = read(`/proc/${entry}/stat`)?.toString() ?? '';
    // The fields after the command (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === undefined) continue;
    found.push({
      pid: Number(entry),
      ppid: Number(fields[1]),
      run: /(?:^|\0)COORD_RUNNER_RUN=([^\0]*)/.exec(environ.toString('latin1'))?.[1] ?? null,
      command: (read(`/proc/${entry}/cmdline`)?.toString() ?? '').replaceAll('\0', ' ').trim().slice(0, 200),
    });
  }
  return found;
}

/** Whether `pid` descends from one of `roots` (through the parents /proc knows now). */
export function descendsFrom(
  pid: number,
  roots: ReadonlySet<number>,
  all: readonly ScannedProcess[],
): boolean {
  const parent = new Map(all.map((p) => [p.pid, p.ppid]));
  for (let at: number | undefined = pid, hops = 0; at !== undefined && hops < 64; hops++) {
    if (roots.has(at)) return true;
    at = parent.get(at) ?? ppidOf(at);
    if (at === undefined || at <= 1) return false;
  }
  return false;
}

function ppidOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`)?.toString();
  if (!stat) return undefined;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * Agent processes of the chaos run that no live runner owns and that are still there after
 * `graceMs` (a killed runner's agents must go with it): the orphans, which it then kills. A
 * process that left the agent's group (a daemon, reparented away from the runner) is owned while
 * another process of its agent run still descends from a live runner.
 */
export async function agentOrphans(
  home: string,
  liveRunnerPids: () => ReadonlySet<number>,
  graceMs: number,
): Promise<ScannedProcess[]> {
  const unowned = () => {
    const all = processesWithHome(home);
    const roots = liveRunnerPids();
    const ownedRuns = new Set(
      all.filter((p) => p.run !== null && descendsFrom(p.pid, roots, all)).map((p) => p.run),
    );
    return all.filter((p) => p.run !== null && !ownedRuns.has(p.run));
  };
  const candidates = unowned();
  if (candidates.length === 0) return [];
  const deadline = Date.now() + graceMs;
  let left = candidates;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const still = new Set(unowned().map((p) => p.pid));
    left = candidates.filter((p) => still.has(p.pid));
    if (left.length === 0) return [];
  }
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return left;
}
