import { readFileSync } from 'node:fs';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { resolveConnection } from '../connection.js';
import { readStdin } from '../stdin.js';
import { terminalJson } from '../terminal-text.js';

/**
 * `coord-runner jobs request-changes <job> --feedback ...`: what a reviewer says on Coord's job
 * page, from a terminal. The job gets a new attempt that carries the feedback and updates its PR.
 */
export function registerRequestChanges(jobs: CommandUnknownOpts): void {
  jobs
    .command('request-changes')
    .description('Ask for changes on a job in Awaiting Review: a new attempt updates its pull request')
    .argument('<job>', 'job id')
    .option('--feedback <text>', 'what to change')
    .option('--feedback-file <file>', 'read the feedback from a file (- for stdin)')
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .action(async (jobId, opts) => {
      if ((opts.feedback === undefined) === (opts.feedbackFile === undefined)) {
        throw new Error('Give the feedback with exactly one of --feedback <text> or --feedback-file <file>');
      }
      const text =
        opts.feedback ??
        (opts.feedbackFile === '-' ? await readStdin() : readFileSync(opts.feedbackFile!, 'utf8'));
      // Loaded here, not at start: `coord-runner --help` must not pay for them (pnpm bench cli).
      const { createCoordClient } = await import('@coord/runner-core');
      const { requestChangesSchema } = await import('@coord/runner-protocol');
      // Checked here too, so an empty message is named before anything is sent.
      const parsed = requestChangesSchema.safeParse({ feedback: text });
      if (!parsed.success) throw new Error('The feedback is empty (or longer than 20,000 characters)');
      const { server, token } = resolveConnection(opts);
      const job = await createCoordClient({ baseUrl: server, token }).requestChanges(
        jobId,
        parsed.data.feedback,
      );
      process.stdout.write(`${terminalJson({ id: job.id, status: job.status })}\n`);
    });
}
