import type { Runner, RunnerEvent } from '@coord/runner-core';
import { describeFailure } from './failure.js';
import { inquirerPrompter } from './interactions/inquirer-prompter.js';
import { createInteractionDesk, type InteractionDesk } from './interactions/interaction-desk.js';
import { renderEvent } from './render.js';
import { terminalJson } from './terminal-text.js';

/**
 * Starts a runner, prints its events until it stops, and maps the end to an exit code:
 * 0 after a clean stop, 1 when registration failed or (in one-job mode) the job failed.
 * SIGINT/SIGTERM drain (no new job; running ones finish); a second one stops gracefully (agents
 * finish their current operation, save their session, and the jobs are requeued); a third forces
 * the stop (agents are ended at once, their jobs reported stopped; exit code 130); a fourth exits
 * on the spot. At a terminal, waiting approvals and questions are prompts
 * (`interactive`, on by default when stdin and stdout are a TTY and output is not JSON).
 */
export async function followRunner(
  runner: Runner,
  options: {
    json: boolean;
    once: boolean;
    interactive?: boolean;
    /** Whether someone asked for the stop through the control API (`coord-runner stop`). */
    stopAsked?: () => boolean;
  },
): Promise<number> {
  const color = !options.json && process.stdout.isTTY === true;
  const interactive = (options.interactive ?? true) && !options.json && process.stdin.isTTY === true && color;
  let exitCode = 0;
  let stopRequested = false;
  const claimed = new Set<string>();
  let desk: InteractionDesk | null = null;
  const print = (event: RunnerEvent) => {
    if (options.json) process.stdout.write(`${terminalJson(event)}\n`);
    else {
      const line = renderEvent(event, { color });
      if (line === null) return;
      if (desk) desk.print(line);
      else process.stdout.write(`${line}\n`);
    }
  };

  const stopped = new Promise<void>((resolve) => {
    runner.events$.subscribe({
      next: (event) => {
        print(event);
        desk?.onEvent(event);
        if (
          event.type === 'runner.status' &&
          event.status === 'stopped' &&
          !stopRequested &&
          !options.stopAsked?.()
        )
          exitCode = 1;
        if (event.type === 'job.claimed') claimed.add(event.attemptId);
        // One-job mode ends with the job this run claimed, not with an attempt a crashed run left.
        if (event.type === 'job.finished' && options.once && claimed.has(event.attemptId) && !stopRequested) {
          if (event.outcome === 'failed') exitCode = 1;
          stopRequested = true;
          void runner.stop();
        }
      },
      complete: resolve,
    });
  });

  // The signal ladder (as the Buildkite agent's): drain, then stop gracefully, then force, then exit.
  let signals = 0;
  let forced = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    stopRequested = true;
    if (signals === 1) {
      process.stderr.write(
        `Received ${signal}: taking no new job, finishing the running ones (send it again to stop them gracefully, a third time to stop them at once).\n`,
      );
      void runner.stop({ mode: 'drain' });
    } else if (signals === 2) {
      process.stderr.write(
        `Received ${signal} again: stopping the running jobs gracefully; agents save their session and the jobs are requeued (send it again to stop them at once).\n`,
      );
      void runner.stop({ mode: 'graceful' });
    } else if (signals === 3) {
      process.stderr.write(
        `Received ${signal} a third time: ending the agents now and reporting their jobs stopped (send it again to exit on the spot).\n`,
      );
      forced = true;
      void runner.stop({ mode: 'force' });
    } else {
      process.stderr.write(`Received ${signal} a fourth time: exiting now.\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (interactive) {
    desk = createInteractionDesk({
      answer: (id, answer) => runner.answer(id, answer),
      prompter: inquirerPrompter,
      write: (text) => process.stdout.write(text),
      color,
      onInterrupt: () => onSignal('SIGINT'),
    });
  }

  try {
    await runner.start();
  } catch (error) {
    // The error was printed as a runner.error event; the exit code says which kind it was.
    return describeFailure(error).exitCode;
  }
  await stopped;
  desk?.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return forced ? 130 : exitCode;
}
