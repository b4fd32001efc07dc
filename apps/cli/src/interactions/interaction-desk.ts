import { styleText } from 'node:util';
import type { AnswerOutcome, RunnerEvent } from '@coord/runner-core';
import type { InteractionAnswer, InteractionRequest } from '@coord/runner-protocol';
import { terminalSafe } from '../terminal-text.js';
import { approvalContext, askAnswer, type Prompter } from './ask.js';

export interface InteractionDeskOptions {
  answer(interactionId: string, answer: InteractionAnswer): Promise<AnswerOutcome>;
  prompter: Prompter;
  /** Writes straight to the terminal. */
  write(text: string): void;
  color: boolean;
  /** Ctrl-C inside a prompt (the prompt owns the keyboard, so no SIGINT arrives). */
  onInterrupt(): void;
  /** A prompt comes on screen (true) or leaves it (false): whatever else draws there waits. */
  onPromptChange?(open: boolean): void;
}

export interface InteractionDesk {
  /** Feed every runner event here. */
  onEvent(event: RunnerEvent): void;
  /** Prints a line, or holds it while a prompt is on screen (printing would tear the prompt). */
  print(line: string): void;
  /**
   * What the prompt on screen says itself: its resolution (the answer given here, or who answered
   * instead) and its attempt's wait for an answer. Their log lines would say it a second time.
   * Ask before onEvent.
   */
  covers(event: RunnerEvent): boolean;
  /** Abandons the prompt on screen, if any, and prints what was held. */
  close(): void;
}

interface Waiting {
  interactionId: string;
  attemptId: string;
  title: string;
  request: InteractionRequest;
}

interface Prompted extends Waiting {
  abort: AbortController;
  answeredBy?: string;
  sending?: boolean;
}

/** How the prompt says who answered instead (the runner's own: its control API, another terminal). */
const ANSWERED_BY = {
  web: 'answered on the web',
  timeout: 'answered by timeout',
  runner: 'answered from another terminal',
  withdrawn: 'withdrawn: the agent no longer needs an answer',
} as const;

/** Lines held while a person answers; beyond this the rest is counted (the spool has them all). */
const MAX_HELD_LINES = 2000;

/**
 * Questions and approvals at the terminal, one at a time in the order they came: each is a
 * prompt that can't be missed (a bell and a banner), answered here or elsewhere, whichever is
 * first. An answer from the web app takes the prompt off the screen and says so.
 */
export function createInteractionDesk(options: InteractionDeskOptions): InteractionDesk {
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    options.color ? styleText(style, text) : text;
  const titles = new Map<string, string>();
  const queue: Waiting[] = [];
  /**
   * `answeredBy`: set when an answer from elsewhere took the prompt away; `sending`: this prompt's
   * own answer is on its way (the resolution it brings is not from elsewhere).
   */
  let current: Prompted | null = null;
  let held: string[] | null = null;
  let dropped = 0;
  let closed = false;

  const release = () => {
    const lines = held ?? [];
    held = null;
    for (const line of lines) options.write(`${line}\n`);
    if (dropped > 0) options.write(`(${dropped} more lines while you answered; see the job's log)\n`);
    dropped = 0;
  };

  async function pump(): Promise<void> {
    if (current || closed) return;
    const next = queue.shift();
    if (!next) return;
    const entry: Prompted = { ...next, abort: new AbortController() };
    current = entry;
    options.onPromptChange?.(true);
    const what = next.request.kind === 'approval' ? 'Approval needed' : 'Question';
    options.write(
      `\u0007${paint(['bold', 'magenta'], `⚠ ${what} — job "${terminalSafe(next.title)}"`)} ${paint('dim', `(${next.interactionId}; also answerable on the web)`)}\n`,
    );
    const context = next.request.kind === 'approval' ? approvalContext(next.request) : null;
    if (context) options.write(`  ${paint('dim', context)}\n`);
    held = [];
    try {
      const answer = await askAnswer(options.prompter, next.request, entry.abort.signal);
      entry.sending = true;
      const outcome = await options.answer(next.interactionId, answer);
      if (!outcome.won) options.write(`${paint('yellow', `  already answered on the ${outcome.by}`)}\n`);
    } catch (error) {
      if (entry.abort.signal.aborted) {
        // Said once the prompt has let go of the screen (it settles asynchronously).
        if (entry.answeredBy) options.write(`${paint('magenta', `  ✓ ${entry.answeredBy}`)}\n`);
      } else if ((error as Error).name === 'ExitPromptError') {
        closed = true;
        options.write(
          `${paint('yellow', '  (no answer given here; it can still be answered on the web)')}\n`,
        );
        options.onInterrupt();
      } else {
        options.write(
          `${paint('red', `  could not send the answer: ${terminalSafe((error as Error).message)}`)}\n`,
        );
      }
    } finally {
      current = null;
      release();
      options.onPromptChange?.(false);
    }
    void pump();
  }

  return {
    onEvent(event) {
      if (event.type === 'job.claimed') titles.set(event.attemptId, event.title);
      else if (event.type === 'job.finished') titles.delete(event.attemptId);
      else if (event.type === 'interaction.requested') {
        queue.push({
          interactionId: event.interactionId,
          attemptId: event.attemptId,
          title: titles.get(event.attemptId) ?? event.jobId,
          request: event.request,
        });
        void pump();
      } else if (event.type === 'interaction.resolved') {
        const index = queue.findIndex((w) => w.interactionId === event.interactionId);
        if (index >= 0) queue.splice(index, 1);
        // Answered elsewhere: the web, a timeout, or this runner's control API (`coord-runner
        // answer` in another terminal), which resolves as the runner's own answer does.
        if (current?.interactionId === event.interactionId && !current.sending) {
          current.answeredBy = ANSWERED_BY[event.by];
          current.abort.abort();
        }
      }
    },
    covers: (event) =>
      current !== null &&
      ((event.type === 'interaction.resolved' && current.interactionId === event.interactionId) ||
        // Its attempt waiting for an answer: the prompt is what says so.
        (event.type === 'job.state' &&
          event.state === 'awaiting_input' &&
          current.attemptId === event.attemptId)),
    print(line) {
      if (held === null) options.write(`${line}\n`);
      else if (held.length < MAX_HELD_LINES) held.push(line);
      else dropped += 1;
    },
    close() {
      closed = true;
      queue.length = 0;
      current?.abort.abort();
      release();
    },
  };
}
