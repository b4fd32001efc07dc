import { parseArgs } from 'node:util';
import { chaosSeed, runChaos, type ChaosOptions } from '@coord/e2e/chaos';

/**
 * A chaos soak: `--runners` runner processes work through `--jobs` demo-agent jobs while
 * `--kills` of them are `kill -9`ed (started again soon, or after their lease expired) and the
 * server is killed and started again `--server-restarts` times. The goal: lost, double_runs,
 * event_gaps, report_mismatches and orphans all 0. The timeline and every problem go to stderr;
 * the last line of stdout is the JSON result.
 */
export async function main(argv: string[]): Promise<void> {
  const options = chaosOptions(argv, process.env);
  const { timeline, problems, runner_errors, ...result } = await runChaos({
    ...options,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  void timeline; // already written line by line
  for (const [message, count] of Object.entries(runner_errors)) {
    process.stderr.write(`runner.error x${count}: ${message}\n`);
  }
  for (const problem of problems) process.stderr.write(`problem: ${problem}\n`);
  process.stdout.write(`${JSON.stringify({ ...result, problems: problems.length })}\n`);
}

/**
 * The soak's size from flags, else COORD_CHAOS_RUNNERS, _JOBS, _KILLS, _SERVER_RESTARTS,
 * _CAPACITY, _REPOSITORY_SHARE and _SEED, else the defaults (a seed is drawn when none is given).
 */
export function chaosOptions(argv: string[], env: NodeJS.ProcessEnv): ChaosOptions {
  const fromEnv = (name: string, fallback: string) => env[`COORD_CHAOS_${name}`] || fallback;
  const { values } = parseArgs({
    args: argv,
    options: {
      runners: { type: 'string', default: fromEnv('RUNNERS', '6') },
      jobs: { type: 'string', default: fromEnv('JOBS', '300') },
      kills: { type: 'string', default: fromEnv('KILLS', '30') },
      'server-restarts': { type: 'string', default: fromEnv('SERVER_RESTARTS', '3') },
      capacity: { type: 'string', default: fromEnv('CAPACITY', '2') },
      'repository-share': { type: 'string', default: fromEnv('REPOSITORY_SHARE', '0.34') },
      seed: { type: 'string' },
    },
  });
  const count = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(values[name])}`);
    }
    return n;
  };
  const share = Number(values['repository-share']);
  if (!(share >= 0 && share <= 1)) {
    throw new Error(
      `--repository-share must be between 0 and 1, got ${JSON.stringify(values['repository-share'])}`,
    );
  }
  return {
    seed: values.seed !== undefined ? count('seed', 0) : chaosSeed(env),
    runners: count('runners', 1),
    jobs: count('jobs', 1),
    kills: count('kills', 0),
    serverRestarts: count('server-restarts', 0),
    capacity: count('capacity', 1),
    repositoryShare: share,
    // A soak is bigger than the test: the jobs get ten minutes to settle after the last kill.
    timeoutMs: 600_000,
  };
}
