import { parseArgs } from 'node:util';
import { chaosSeed, runChaos } from '@coord/e2e/chaos';

/**
 * A chaos soak: `--runners` runner processes work through `--jobs` demo-agent jobs while
 * `--kills` of them are `kill -9`ed (started again soon, or after their lease expired) and the
 * server is killed and started again `--server-restarts` times. Flags fall back to
 * COORD_CHAOS_RUNNERS, _JOBS, _KILLS, _SERVER_RESTARTS, _CAPACITY, _REPOSITORY_SHARE and COORD_CHAOS_SEED. The goal:
 * lost, double_runs, event_gaps and orphans all 0. The timeline goes to stderr; the last line of
 * stdout is the JSON result.
 */
export async function main(argv: string[]): Promise<void> {
  const env = (name: string, fallback: string) => process.env[`COORD_CHAOS_${name}`] ?? fallback;
  const { values } = parseArgs({
    args: argv,
    options: {
      runners: { type: 'string', default: env('RUNNERS', '6') },
      jobs: { type: 'string', default: env('JOBS', '300') },
      kills: { type: 'string', default: env('KILLS', '30') },
      'server-restarts': { type: 'string', default: env('SERVER_RESTARTS', '3') },
      capacity: { type: 'string', default: env('CAPACITY', '2') },
      'repository-share': { type: 'string', default: env('REPOSITORY_SHARE', '0.34') },
      seed: { type: 'string' },
    },
  });
  const count = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be a whole number >= ${min}, got ${values[name]}`);
    return n;
  };
  const share = (value: string) => {
    const n = Number(value);
    if (!(n >= 0 && n <= 1)) throw new Error(`--repository-share must be between 0 and 1, got ${value}`);
    return n;
  };
  const seed = values.seed !== undefined ? count('seed', 0) : chaosSeed();
  const { timeline, problems, runner_errors, ...result } = await runChaos({
    seed,
    runners: count('runners', 1),
    jobs: count('jobs', 1),
    kills: count('kills', 0),
    serverRestarts: count('server-restarts', 0),
    capacity: count('capacity', 1),
    repositoryShare: share(values['repository-share']),
    timeoutMs: 600_000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  void timeline;
  for (const [message, count] of Object.entries(runner_errors)) {
    process.stderr.write(`runner.error x${count}: ${message}\n`);
  }
  for (const problem of problems) process.stderr.write(`problem: ${problem}\n`);
  process.stdout.write(`${JSON.stringify({ ...result, problems: problems.length })}\n`);
}
