import { InvalidArgumentError, type Command } from '@commander-js/extra-typings';

/** The commands that talk to the running runner; their code loads only when one runs. */
const actions = () => import('./control-actions.js');

const STATE_DIR = [
  '--state-dir <dir>',
  'state directory of the runner (or set COORD_RUNNER_STATE_DIR)',
] as const;

export function registerControl(program: Command): void {
  program
    .command('status')
    .description('Show the running runner: its server connection, running jobs, and what waits for an answer')
    .option(...STATE_DIR)
    .option('--json', 'print the status as JSON')
    .action(async (opts) => (await actions()).status(opts));

  program
    .command('stop')
    .description(
      'Stop the running runner: gracefully by default (agents save their session, jobs are requeued)',
    )
    .option('--drain', 'take no new job, and stop once the running jobs have finished')
    .option('--now', 'stop at once: end the agents now, report their jobs stopped (they are requeued), exit')
    .option(...STATE_DIR)
    .option('--json', 'print the answer as JSON')
    .action(async (opts) => (await actions()).stop(opts));

  program
    .command('logs')
    .description("Print a job's log on this runner (its newest attempt, or the attempt given)")
    .argument('<job>', 'job id or attempt id')
    .option('-f, --follow', 'keep printing new output until the attempt finishes')
    .option(...STATE_DIR)
    .option('--json', 'print the events as NDJSON')
    .action(async (job, opts) => (await actions()).logs(job, opts));

  program
    .command('history')
    .description('List finished jobs on this runner, newest first (works without a running runner)')
    .option(
      '--outcome <outcomes>',
      'only these outcomes, comma-separated (succeeded, no_changes, failed, cancelled, stopped)',
    )
    .option('--since <when>', 'finished at or after: a date, a date-time, or an age (30m, 12h, 7d)')
    .option('--until <when>', 'finished before: a date, a date-time, or an age')
    .option('--workspace <id>', 'only jobs of this workspace')
    .option('--agent <id>', 'only jobs run by this agent')
    .option('--job <id>', "only this job's attempts")
    .option('--limit <n>', 'at most this many', (v) => positiveInt(v, '--limit'), 20)
    .option('--cursor <cursor>', 'the next page, as a previous page printed it')
    .option(...STATE_DIR)
    .option('--json', 'print the page as JSON')
    .action(async (opts) => (await actions()).history(opts));

  program
    .command('approve')
    .description('Allow a tool call an agent waits on (see `coord-runner status`)')
    .argument('<interaction>', 'interaction id')
    .option('--session', 'allow this tool for the rest of the session, not just once')
    .option('--message <text>', 'a note for the agent')
    .option(...STATE_DIR)
    .option('--json', 'print the answer as JSON')
    .action(async (id, opts) => (await actions()).approve(id, opts));

  program
    .command('deny')
    .description('Deny a tool call an agent waits on')
    .argument('<interaction>', 'interaction id')
    .option('--message <text>', 'tell the agent why, or what to do instead')
    .option('--stop', "also end the agent's turn")
    .option(...STATE_DIR)
    .option('--json', 'print the answer as JSON')
    .action(async (id, opts) => (await actions()).deny(id, opts));

  program
    .command('answer')
    .description("Answer an agent's question")
    .argument('<interaction>', 'interaction id')
    .argument('[answer...]', 'the answer (when it asks one question)')
    .option(
      '--to <question=answer>',
      'an answer to one of several questions (repeatable)',
      collect,
      [] as string[],
    )
    .option(...STATE_DIR)
    .option('--json', 'print the answer as JSON')
    .action(async (id, values, opts) => (await actions()).answer(id, values, opts));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`${flag} must be a positive whole number, got "${value}"`);
  }
  return n;
}
