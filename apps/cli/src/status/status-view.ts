import { styleText } from 'node:util';
import { approvalLine } from '@coord/runner-protocol';
import type { ActiveAttempt, AttemptState, StatusSnapshot, WaitingInteraction } from '@coord/runner-core';
import { duration } from '../duration.js';
import { STATE_LABELS } from '../attempt-states.js';
import { fitLine, terminalSafe } from '../terminal-text.js';

type Style = Parameters<typeof styleText>[0];

/** What only the terminal knows: the clock, the frame, the width, when each attempt entered its state. */
export interface StatusViewContext {
  now: number;
  color: boolean;
  /** Terminal width; every line is cut to fit, so the area never wraps. */
  columns: number;
  /** Counts up on every redraw: the spinner's frame. */
  frame: number;
  /** When each active attempt entered its current state (from `job.state` events). */
  stateSince: ReadonlyMap<string, number>;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** States a person waits through: they get a spinner and their own clock. */
const LONG_STEPS: ReadonlySet<AttemptState> = new Set([
  'claimed',
  'preparing',
  'running',
  'retrying',
  'stopping',
  'publishing',
  'reporting',
]);

/** A waiting approval or question, and (on its own line, so it is never cut off) how to answer it. */
function waitingLines(
  w: WaitingInteraction,
  titles: ReadonlyMap<string, string>,
  now: number,
): [string, Style][] {
  const what =
    w.request.kind === 'approval'
      ? `approve ${approvalLine(w.request)}`
      : `answer: ${w.request.questions.map((q) => q.text).join(' / ')}`;
  const job = titles.get(w.attemptId);
  const verb = w.request.kind === 'approval' ? 'approve' : 'answer';
  return [
    [`? ${what}${job ? ` (job "${job}")` : ''} · waiting ${duration(now - w.since)}`, 'magenta'],
    [`    └ coord-runner ${verb} ${w.interactionId}, or on the web`, 'dim'],
  ];
}

function attemptLines(a: ActiveAttempt, ctx: StatusViewContext, spin: string): [string, Style][] {
  const since = ctx.stateSince.get(a.attemptId);
  const long = LONG_STEPS.has(a.state);
  const step = `${STATE_LABELS[a.state]}${long && since !== undefined ? ` ${duration(ctx.now - since)}` : ''}`;
  const head = [
    `${long ? spin : a.state === 'awaiting_input' ? '?' : '•'} ${a.title}`,
    step,
    a.agent ?? 'agent unknown',
    a.elapsedMs !== null ? duration(a.elapsedMs) : null,
    a.branch,
  ]
    .filter(Boolean)
    .join(' · ');
  const lines: [string, Style][] = [[head, a.state === 'awaiting_input' ? 'magenta' : 'bold']];
  if (a.lastLine) lines.push([`    └ ${a.lastLine}`, 'dim']);
  return lines;
}

/** Why the connection is offline, saying that it retries (once: the runner's own message may). */
function retrying(why: string): string {
  return /\bretrying\b/.test(why) ? why : `${why}; retrying`;
}

/**
 * The live status area `coord-runner start` keeps at the bottom of a terminal: each connection
 * with its state, the active jobs (state and how long in it, agent, elapsed time, branch, the
 * agent's last line), the approvals and questions waiting, and while idle how long the claim has been open.
 * Everything from the server or an agent is made terminal-safe and cut to one line.
 */
export function renderStatus(snapshot: StatusSnapshot, ctx: StatusViewContext): string[] {
  const spin = SPINNER[ctx.frame % SPINNER.length]!;
  const out: [string, Style][] = [];
  const busy = snapshot.active.length;
  for (const c of snapshot.connections) {
    const since = c.since !== null ? ` ${duration(ctx.now - c.since)}` : '';
    const state =
      c.status === 'offline'
        ? [`${spin} offline${since}: ${retrying(c.message ?? 'the server does not answer')}`, 'yellow']
        : c.status === 'starting'
          ? [`${spin} connecting`, 'dim']
          : c.status === 'stopping'
            ? [`${spin} stopping: taking no new job`, 'yellow']
            : c.status === 'stopped'
              ? ['stopped', 'dim']
              : [`connected${c.runnerId ? ` as ${c.runnerId}` : ''}`, 'green'];
    const who = c.name ? `${c.name} (${c.server})` : c.server;
    out.push([`${who} · ${state[0]} · ${busy}/${snapshot.capacity} busy`, state[1] as Style]);
  }
  for (const a of snapshot.active) out.push(...attemptLines(a, ctx, spin));
  const titles = new Map(snapshot.active.map((a) => [a.attemptId, a.title]));
  for (const w of snapshot.waiting) out.push(...waitingLines(w, titles, ctx.now));
  const idle = snapshot.connections.find((c) => c.status === 'idle');
  if (busy < snapshot.capacity && idle) {
    // How long the runner has had nothing to do (its claims are re-opened every long poll).
    const open = idle.since !== null ? ` for ${duration(ctx.now - idle.since)}` : '';
    out.push([`${spin} waiting for a job${open}`, 'dim']);
  }
  const rule = '─'.repeat(Math.max(10, Math.min(ctx.columns - 1, 80)));
  return [[rule, 'dim'] as [string, Style], ...out].map(([text, style]) => {
    const line = fitLine(terminalSafe(text), ctx.columns);
    return ctx.color ? styleText(style, line) : line;
  });
}
