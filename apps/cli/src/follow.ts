import { isCoordError, type Runner, type RunnerEvent, type StatusSnapshot } from '@coord/runner-core';
import { describeFailure } from './failure.js';
import { inquirerPrompter } from './interactions/inquirer-prompter.js';
import { createInteractionDesk, type InteractionDesk } from './interactions/interaction-desk.js';
import { createJobHeaders } from './job-headers.js';
import { renderEvent } from './render.js';
import type { StatusArea } from './status/status-area.js';
import { terminalJson } from './terminal-text.js';

/** How `start` prints: NDJSON events, plain lines, or lines under a live status area. */
export type OutputMode = 'json' | 'text' | 'live';

/**
 * NDJSON with `--json` and whenever stdout is not a terminal (a pipe, a log file, a service);
 * at a terminal the live status area, unless `--text` asks for the plain lines alone.
 */
export function outputMode(flags: { json?: boolean; text?: boolean }, isTTY: boolean): OutputMode {
  if (flags.json) return 'json';
  if (flags.text) return 'text';
  return isTTY ? 'live' : 'json';
}

/**
 * Starts a runner, prints its events until it stops, and maps the end to an exit code:
 * 0 after a clean stop, 1 when registration failed or (in one-job mode) the job failed.
 * SIGINT/SIGTERM drain (no new job; running ones finish); a second one stops gracefully (agents
 * finish their current operation, save their session, and the jobs are requeued); a third forces
 * the stop (agents are ended at once, their jobs reported stopped; exit code 130); a fourth exits
 * on the spot. At a terminal, waiting approvals and questions are prompts (`interactive`, on by
 * default when stdin and stdout are a TTY and output is not JSON), and a live status area sits
 * under the log.
 */
export async function followRunner(
  runner: Runner,
  options: {
    mode: OutputMode;
    /** The control API's status snapshot, drawn by the live status area. */
    status?: () => Promise<StatusSnapshot | null>;
    once: boolean;
    interactive?: boolean;
    /** Whether someone asked for the stop through the control API (`coord-runner stop`). */
    stopAsked?: () => boolean;
    /** Signals that came while the runner was being put together: taken as if they came now. */
    earlySignals?: () => NodeJS.Signals[];
  },
): Promise<number> {
  const json = options.mode === 'json';
  const color = !json && process.stdout.isTTY === true && !process.env['NO_COLOR'];
  const interactive =
    (options.interactive ?? true) && !json && process.stdin.isTTY === true && process.stdout.isTTY === true;
  let exitCode = 0;
  let stopRequested = false;
  const claimed = new Set<string>();
  let desk: InteractionDesk | null = null;
  // Loaded only at a terminal: log-update is for people, not for pipes.
  const area: StatusArea | null =
    options.mode === 'live' && options.status
      ? (await import('./status/status-area.js')).createStatusArea({
          stream: process.stdout,
          status: options.status,
          color,
        })
      : null;
  /** Text for the terminal: above the status area when there is one. */
  const write = (text: string) => (area ? area.print(text) : process.stdout.write(text));
  /** What the runner says about itself (signals): on stderr, unless the area shares the screen. */
  const say = (text: string) => (area ? area.print(text) : process.stderr.write(text));
  const jobHeader = createJobHeaders({ color });
  const print = (event: RunnerEvent) => {
    if (json) process.stdout.write(`${terminalJson(event)}\n`);
    else {
      // The prompt on screen says itself how it was answered.
      if (desk?.covers(event)) return;
      const rendered = renderEvent(event, { color });
      if (rendered === null) return;
      const header = jobHeader(event);
      const line = header === null ? rendered : `${header}\n${rendered}`;
      if (desk) desk.print(line);
      else write(`${line}\n`);
    }
  };

  const stopped = new Promise<void>((resolve) => {
    runner.events$.subscribe({
      next: (event) => {
        print(event);
        area?.onEvent(event);
        desk?.onEvent(event);
        if (
          event.type === 'runner.status' &&
          event.status === 'stopped' &&
          !stopRequested &&
          !options.stopAsked?.()
        )
          exitCode = 1;
        // What this run works on: what it claimed, and what it took up again after a restart (its
        // machine runs here, so it says its states; an attempt only reported has none).
        if (event.type === 'job.claimed' || event.type === 'job.state') claimed.add(event.attemptId);
        // One-job mode ends with the job this run works on, not with an attempt a crashed run left.
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
      say(
        `Received ${signal}: taking no new job, finishing the running ones (send it again to stop them gracefully, a third time to stop them at once).\n`,
      );
      void runner.stop({ mode: 'drain' });
    } else if (signals === 2) {
      say(
        `Received ${signal} again: stopping the running jobs gracefully; agents save their session and the jobs are requeued (send it again to stop them at once).\n`,
      );
      void runner.stop({ mode: 'graceful' });
    } else if (signals === 3) {
      say(
        `Received ${signal} a third time: ending the agents now and reporting their jobs stopped (send it again to exit on the spot).\n`,
      );
      forced = true;
      void runner.stop({ mode: 'force' });
    } else {
      area?.close();
      process.stderr.write(`Received ${signal} a fourth time: exiting now.\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (const signal of options.earlySignals?.() ?? []) onSignal(signal);
  if (interactive) {
    desk = createInteractionDesk({
      answer: (id, answer) => runner.answer(id, answer),
      prompter: inquirerPrompter,
      write,
      // A prompt owns the screen while it is open: the area steps aside.
      onPromptChange: (open) => (open ? area?.pause() : area?.resume()),
      color,
      onInterrupt: () => onSignal('SIGINT'),
    });
  }

  try {
    await runner.start();
  } catch (error) {
    area?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Asked to stop before it started: a clean stop, nothing was claimed.
    if (isCoordError(error) && error.code === 'runner.stopped') return 0;
    // The error was printed as a runner.error event; the exit code says which kind it was.
    return describeFailure(error).exitCode;
  }
  await stopped;
  desk?.close();
  area?.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return forced ? 130 : exitCode;
}
