import { readFileSync } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import type { CoordClientOptions } from '@coord/runner-core';
import { resolveConnection } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readStdin } from '../stdin.js';
import { terminalJson, terminalSafe } from '../terminal-text.js';

/** The API client loads only when a command talks to a server (`--help` does not). */
async function coordClient(options: CoordClientOptions) {
  return (await import('@coord/runner-core')).createCoordClient(options);
}

export function registerJobs(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('The jobs running on this runner (`jobs active`, the default), and jobs on a Coord server');

  jobs
    .command('active', { isDefault: true })
    .description('List the jobs running on this runner now: state, agent, elapsed time, last output line')
    .option('--state-dir <dir>', 'state directory of the runner (or set COORD_RUNNER_STATE_DIR)')
    .option('--json', 'print the jobs as JSON')
    .action(async (opts) => (await import('./control-actions.js')).activeJobs(opts));

  jobs
    .command('stop')
    .description(
      'Stop a job running on this runner, gracefully: the agent saves its session and the attempt ends stopped',
    )
    .argument('<job>', 'job id or attempt id')
    .option('--state-dir <dir>', 'state directory of the runner (or set COORD_RUNNER_STATE_DIR)')
    .option('--json', 'print the answer as JSON')
    .action(async (job, opts) => (await import('./control-actions.js')).stopJob(job, opts));

  jobs
    .command('submit')
    .description('Submit a job from a JSON file (or - for stdin); see docs/protocol.md for the fields')
    .argument('<file>', 'job JSON file, or - to read stdin')
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--workspace <id>', 'workspace to submit to', 'local')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (file, opts) => {
      const text = file === '-' ? await readStdin() : readFileSync(file, 'utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new Error(`${file === '-' ? 'stdin' : file} is not valid JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
      // Validate here too, so a mistake is named before anything is sent.
      const { describeIssues, jobSubmissionSchema, toErrorIssues } = await import('@coord/runner-protocol');
      const parsed = jobSubmissionSchema.safeParse(json);
      if (!parsed.success)
        throw new Error(
          `The job is invalid: ${describeIssues(toErrorIssues(parsed.error), parsed.error.issues.length)}`,
        );
      const { server, token } = resolveConnection(opts);
      const client = await coordClient({ baseUrl: server, token });
      const job = await client.submitJob(opts.workspace, json as never);
      process.stdout.write(`${terminalJson({ id: job.id, status: job.status })}\n`);
    });

  jobs
    .command('rerun')
    .description('Submit a job again, as a new job that is Ready at once (the web page\'s "Run again")')
    .argument('<id>', 'job id, usually of a failed or cancelled job')
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (id, opts) => {
      const { server, token } = resolveConnection(opts);
      const client = await coordClient({ baseUrl: server, token });
      const original = await client.getJob(id);
      // A copy, not a requeue: a fresh attempt budget and history; the original stays as it ended.
      const job = await client.submitJob(original.workspaceId, { ...original.spec, status: 'ready' });
      process.stdout.write(`${terminalJson({ id: job.id, status: job.status, rerunOf: original.id })}\n`);
    });

  jobs
    .command('list')
    .description('List jobs: id, status, attempts, title (newest last), and why a Ready job waits')
    .option(
      '--status <status>',
      'only jobs in this status (ready, in_progress, awaiting_review, done, failed, ...)',
    )
    .option('--workspace <id>', 'only jobs of this workspace')
    .option('--json', 'print the jobs as JSON')
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (opts) => {
      const { jobStatusSchema } = await import('@coord/runner-protocol');
      const status = opts.status === undefined ? undefined : jobStatusSchema.safeParse(opts.status);
      if (status && !status.success) {
        throw new CliError(
          EXIT.usage,
          `--status must be one of ${jobStatusSchema.options.join(', ')}, got "${opts.status}"`,
        );
      }
      const { server, token } = resolveConnection(opts);
      const list = await (
        await coordClient({ baseUrl: server, token })
      ).listJobs({
        ...(status ? { status: status.data } : {}),
        ...(opts.workspace ? { workspace: opts.workspace } : {}),
      });
      if (opts.json) {
        process.stdout.write(`${terminalJson(list, 2)}\n`);
        return;
      }
      for (const job of list) {
        // A title is whatever the submitter typed: one line, no control characters.
        const title = terminalSafe(job.spec.title).replace(/\s+/g, ' ');
        process.stdout.write(
          `${terminalSafe(job.id)}  ${job.status.padEnd(15)}  ${String(job.attempts.length).padStart(2)}  ${title}\n`,
        );
        // Why a Ready job is not running (servers that can tell).
        if (job.waiting) process.stdout.write(`    waiting: ${terminalSafe(job.waiting.message)}\n`);
      }
    });

  jobs
    .command('show')
    .description('Show a job: what it is, why it waits (a Ready job), and each attempt with how it ended')
    .argument('<id>', 'job id')
    .option('--json', "print the server's view of the job as JSON")
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (id, opts) => {
      const { server, token } = resolveConnection(opts);
      const client = await coordClient({ baseUrl: server, token });
      const job = await client.getJob(id);
      if (opts.json) process.stdout.write(`${terminalJson(job, 2)}\n`);
      else process.stdout.write(`${(await import('../job-text.js')).jobText(job)}\n`);
    });
}
