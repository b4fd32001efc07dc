import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSubmission, JobView } from '@coord/runner-protocol';
import { terminalJobStatuses } from '@coord/runner-protocol';
import { cliEnv } from '../cli.js';
import { api, startCliServer, type CliServer } from '../server.js';
import { auditJobs, type ChaosFindings } from './audit.js';
import { createFleet, type ChaosRunner, type RunnerRecord } from './fleet.js';
import { agentOrphans, processesWithHome, type ScannedProcess } from './processes.js';
import { seededRandom, type Random } from './random.js';

export { chaosSeed } from './random.js';

export interface ChaosOptions {
  seed: number;
  runners?: number;
  jobs?: number;
  /** `kill -9`s of runners, spread over the run. */
  kills?: number;
  /** `kill -9`s of the server, each started again on the same data dir and port. */
  serverRestarts?: number;
  /** Jobs each runner runs at once. */
  capacity?: number;
  /** Share of the jobs that are repository jobs (a commit and a PR on the local forge). */
  repositoryShare?: number;
  /** How long the jobs may take to reach a terminal state after the last one was submitted. */
  timeoutMs?: number;
  /** Progress lines (kills, restarts), as they happen. */
  log?: (line: string) => void;
}

export interface ChaosReport extends ChaosFindings {
  bench: 'chaos';
  seed: number;
  runners: number;
  jobs: number;
  kills: number;
  /** Kills that cut off at least one running job. */
  kills_mid_job: number;
  server_restarts: number;
  /** Agent processes left running by a killed or stopped runner, and any process of the run left at the end. */
  orphans: number;
  /** Runner exits the run did not cause (each runner was started again). */
  runner_exits: number;
  /** Runners that did not exit with 0 at once on the final SIGTERM (see the timeline). */
  unclean_stops: number;
  /** What the runners reported as `runner.error`, each distinct message once with its count. */
  runner_errors: Record<string, number>;
  duration_ms: number;
  /** What happened when, for a failure's message. */
  timeline: string[];
}

/**
 * Short leases so a runner that does not come back hands its work back in seconds; the affinity
 * window keeps that work for it a little longer, which the runners restarted late fall into.
 */
export const chaosTimings = {
  leaseTtlMs: 4_000,
  leaseRenewMs: 1_000,
  sweepIntervalMs: 250,
  affinityMs: 1_500,
  claimWaitMs: 2_000,
};

/**
 * How long a killed runner's agent processes may outlive it: its watchdog notices the kill within
 * 250 ms, sends SIGTERM to the agent's group and, after the agent grace (5 s), SIGKILL to the group
 * and to what left it; plus room for a busy machine.
 */
const orphanGraceMs = 250 + 5_000 + 3_000;

/**
 * A chaos run: a local server and `runners` runners, each its own process (the built CLI), work
 * through `jobs` demo-agent jobs while runners are killed with `kill -9` (started again after a
 * short delay, or only after their lease expired) and the server is killed and started again.
 * Then it checks that every job reached a terminal state once, every repository job has one PR,
 * every attempt's events are whole on the server, and no process of the run is left.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const rnd = seededRandom(options.seed);
  const settings = {
    runners: options.runners ?? 3,
    jobs: options.jobs ?? 60,
    kills: options.kills ?? 6,
    serverRestarts: options.serverRestarts ?? 1,
    capacity: options.capacity ?? 2,
    repositoryShare: options.repositoryShare ?? 1 / 3,
    timeoutMs: options.timeoutMs ?? 150_000,
  };
  const started = Date.now();
  const timeline: string[] = [];
  const note = (line: string) => {
    const stamped = `+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`;
    timeline.push(stamped);
    options.log?.(stamped);
  };
  const root = mkdtempSync(join(tmpdir(), 'coord-chaos-'));
  const home = join(root, 'home');
  const env = cliEnv(home);
  const dataDir = join(root, 'server');
  const records: RunnerRecord[] = [];
  let runnerExits = 0;
  let server: CliServer | null = null;
  let fleet: ChaosRunner[] = [];
  const orphanChecks: Promise<ScannedProcess[]>[] = [];

  try {
    server = await startCliServer(dataDir, env, { timings: chaosTimings });
    const port = Number(new URL(server.url).port);
    const repositories = await createRepositories(server, 3);
    const jobIds: string[] = [];
    for (let i = 0; i < settings.jobs; i++) {
      const spec = chaosJob(i, rnd, rnd.chance(settings.repositoryShare) ? rnd.pick(repositories) : null);
      const { status, json } = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', spec);
      if (status !== 201) throw new Error(`submitting job ${i} answered ${status}: ${JSON.stringify(json)}`);
      jobIds.push(json.job.id);
    }
    note(`submitted ${settings.jobs} jobs (seed ${options.seed})`);

    const current = () => server!;
    fleet = createFleet({
      count: settings.runners,
      stateDir: (name) => join(root, name),
      server: () => ({ url: current().url, tokenFile: current().tokenFile }),
      env,
      capacity: settings.capacity,
      records,
      onUnexpectedExit: (name, detail) => {
        runnerExits += 1;
        note(`${name} exited on its own (${detail}); starting it again`);
      },
    });
    for (const runner of fleet) runner.start();
    const livePids = () =>
      new Set(fleet.map((r) => r.pid()).filter((pid): pid is number => pid !== undefined));

    const allTerminal = async () => {
      const { status, json } = await api<{ jobs: JobView[] }>(current(), 'GET', '/v1/jobs?workspace=local');
      return status === 200 && json.jobs.every((j) => terminalJobStatuses.includes(j.status));
    };

    // The schedule: kills spread over the run, the server restarts among them.
    const restarts: Promise<void>[] = [];
    let kills = 0;
    let killsMidJob = 0;
    let serverRestarts = 0;
    for (const step of schedule(settings.kills, settings.serverRestarts)) {
      await sleep(rnd.int(800, 2_500));
      if (step === 'server') {
        note('kill -9 the server');
        current().process.kill('SIGKILL');
        await current().process;
        await sleep(rnd.int(200, 1_500));
        server = await startCliServer(dataDir, env, { port, timings: chaosTimings });
        serverRestarts += 1;
        note('server started again');
        continue;
      }
      const kill = await killOne(fleet, rnd);
      kills += 1;
      if (kill.cutOff > 0) killsMidJob += 1;
      orphanChecks.push(agentOrphans(home, livePids, orphanGraceMs));
      note(kill.said);
      restarts.push(
        sleep(kill.backInMs).then(() => {
          kill.victim.start();
          note(`${kill.victim.name} started again`);
        }),
      );
    }
    await Promise.all(restarts);

    const deadline = Date.now() + settings.timeoutMs;
    while (!(await allTerminal().catch(() => false)) && Date.now() < deadline) await sleep(300);
    note('jobs settled (or the time ran out)');

    const stops = await Promise.all(fleet.map(async (r) => ({ name: r.name, exit: await r.stop(15_000) })));
    const orphans = (await Promise.all(orphanChecks)).flat().map((p) => ({ ...p, when: 'after a kill' }));
    const findings = await auditJobs({ server: current(), jobIds, repositories, records });
    // Asked to stop with nothing left to run, a runner should exit at once with 0. Counted on its
    // own: soaks saw runners end by the signal itself (exit code unset) or need a kill. A runner
    // stopped while it was still starting (just restarted after a kill) did both: the signal came
    // before its handlers (now held from the start, held-signals.ts), or its claim loop began after
    // the stop (now refused in Runner.start).
    const uncleanStops = stops
      .filter(({ exit }) => exit && (exit.forced || exit.exitCode !== 0))
      .map(({ name, exit }) => `${name}: ${JSON.stringify({ ...exit, exitCode: exit?.exitCode ?? null })}`);
    for (const line of uncleanStops) note(`did not stop cleanly on SIGTERM: ${line}`);
    await current().stop();
    server = null;
    orphans.push(...(await leftovers(home)).map((p) => ({ ...p, when: 'at the end' })));
    for (const p of orphans) findings.problems.push(`orphan process ${p.pid} (${p.when}): ${p.command}`);

    return {
      bench: 'chaos',
      seed: options.seed,
      runners: settings.runners,
      jobs: settings.jobs,
      kills,
      kills_mid_job: killsMidJob,
      server_restarts: serverRestarts,
      ...findings,
      orphans: orphans.length,
      runner_exits: runnerExits,
      unclean_stops: uncleanStops.length,
      runner_errors: countErrors(records),
      duration_ms: Date.now() - started,
      timeline,
    };
  } finally {
    for (const runner of fleet) await runner.kill();
    if (server) {
      server.process.kill('SIGKILL');
      await server.process;
    }
    for (const p of processesWithHome(home)) killQuietly(p.pid);
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * One `kill -9` of a runner, in the middle of some phase when one is there within a few seconds
 * (the agent working, the work tree being prepared, the push and PR, the report), and when to
 * start it again: soon (its leases still held), or once they expired and the affinity window ran.
 */
async function killOne(
  fleet: ChaosRunner[],
  rnd: Random,
): Promise<{ victim: ChaosRunner; cutOff: number; backInMs: number; said: string }> {
  // Every runner may be down at once (restarted late): the kill waits for one to be back.
  while (!fleet.some((r) => r.alive())) await sleep(100);
  const phase = rnd.pick(['running', 'preparing', 'publishing', 'reporting'] as const);
  const inPhase = await runnerIn(fleet, phase, 3_000);
  const victim = inPhase ?? pickAny(fleet, rnd);
  const cutOff = victim.busy();
  await victim.kill();
  const late = rnd.chance(0.35);
  const backInMs = late
    ? chaosTimings.leaseTtlMs + 2 * chaosTimings.sweepIntervalMs + rnd.int(0, chaosTimings.affinityMs)
    : rnd.int(100, 1_500);
  const said = `kill -9 ${victim.name} (${cutOff} running${inPhase ? `, one ${phase}` : ''}), back in ${backInMs} ms${late ? ' (lease expired)' : ''}`;
  return { victim, cutOff, backInMs, said };
}

/** The first runner seen with an attempt in `phase`, within `withinMs`. */
async function runnerIn(
  fleet: ChaosRunner[],
  phase: string,
  withinMs: number,
): Promise<ChaosRunner | undefined> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const found = fleet.find((r) => r.inState(phase) > 0);
    if (found) return found;
    await sleep(10);
  }
  return undefined;
}

/** A runner with work if there is one, else any live runner. */
function pickAny(fleet: ChaosRunner[], rnd: Random): ChaosRunner {
  const alive = fleet.filter((r) => r.alive());
  const busy = alive.filter((r) => r.busy() > 0);
  return rnd.pick(busy.length > 0 ? busy : alive);
}

/** `kills` runner kills with the server restarts spread among them (the first early, mid-work). */
function schedule(kills: number, serverRestarts: number): Array<'kill' | 'server'> {
  const steps: Array<'kill' | 'server'> = Array.from({ length: kills }, () => 'kill');
  for (let r = 0; r < serverRestarts; r++) {
    steps.splice(Math.min(steps.length, 1 + Math.floor((r * (kills + r)) / serverRestarts)), 0, 'server');
  }
  return steps;
}

async function createRepositories(
  server: CliServer,
  count: number,
): Promise<{ owner: string; name: string; cloneUrl: string }[]> {
  const repositories = [];
  for (let i = 0; i < count; i++) {
    const { status, json } = await api<{ clone_url: string; owner: { login: string }; name: string }>(
      server,
      'POST',
      '/forge/api/user/repos',
      { name: `chaos-${i}`, auto_init: true },
    );
    if (status !== 201) throw new Error(`creating a forge repository answered ${status}`);
    repositories.push({ owner: json.owner.login, name: json.name, cloneUrl: json.clone_url });
  }
  return repositories;
}

/** A demo-agent job that works for a random while (so kills land mid-work) and writes one file. */
function chaosJob(
  i: number,
  rnd: Random,
  repository: { owner: string; name: string; cloneUrl: string } | null,
): JobSubmission {
  const workMs = rnd.int(300, 2_000);
  // Some agents leave a dev server behind, outside their process group: it must not outlive the job.
  const daemon = rnd.chance(0.25)
    ? "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' }).unref(); "
    : '';
  return {
    title: `chaos job ${i}`,
    instructions: 'Work a little, then write one file.',
    context: repository ? { type: 'repository', repository } : { type: 'local' },
    agent: {
      id: 'demo',
      plan: [
        { type: 'say', text: `Working on job ${i}.` },
        {
          type: 'run',
          command: [
            process.execPath,
            '-e',
            `${daemon}console.log("working"); setTimeout(() => console.log("worked"), ${workMs})`,
          ],
        },
        { type: 'write', path: `chaos-${i}.txt`, content: `job ${i}\n` },
        { type: 'say', text: `Wrote chaos-${i}.txt.` },
      ],
    },
    routing: { mode: 'any' },
    // Each kill may cost a job an attempt; the budget must outlast the chaos, not hide losses.
    maxAttempts: 10,
  };
}

/** Processes of the run still there once everything was stopped (after a moment to exit). */
async function leftovers(home: string): Promise<ScannedProcess[]> {
  const deadline = Date.now() + 5_000;
  let left = processesWithHome(home);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = processesWithHome(home);
  }
  return left;
}

/** Ids and numbers vary from error to error; the rest of the message says what happened. */
function countErrors(records: readonly RunnerRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    if (r.type !== 'runner.error') continue;
    const key = (r.message ?? '')
      .replace(/\b(att|job|run)_\w+/g, '<id>')
      .replace(/\d+/g, 'N')
      .slice(0, 200);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
