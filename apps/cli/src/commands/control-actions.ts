import type {
  ActiveAttempt,
  HistoryEntry,
  HistoryFilter,
  LogPage,
  StatusSnapshot,
  WaitingInteraction,
} from '@coord/runner-core/control-api';
import {
  approvalLine,
  outcomeSchema,
  type AttemptEvent,
  type InteractionAnswer,
} from '@coord/runner-protocol';
import type { RunnerEvent } from '@coord/runner-core';
import { callRunner, subscribeRunner } from '../control/control-client.js';
import { duration } from '../duration.js';
import { CliError, EXIT } from '../exit-codes.js';
import { renderEvent } from '../render.js';
import { historyFile, resolveStateDir } from '../state-dir.js';
import { tableRows, terminalJson, terminalSafe } from '../terminal-text.js';

/** Loaded only when one of these commands runs: `--help` and `start` never pay for it. */

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
const json = (value: unknown) => out(terminalJson(value, 2));
const color = () => process.stdout.isTTY === true && !process.env['NO_COLOR'];

const oneLine = (text: string) => terminalSafe(text).replace(/\s+/g, ' ').trim();

function describeWaiting(w: WaitingInteraction): string {
  const what =
    w.request.kind === 'approval'
      ? `approve ${approvalLine(w.request)}`
      : w.request.questions.map((q) => q.text).join(' / ');
  const how =
    w.request.kind === 'approval'
      ? `coord-runner approve ${w.interactionId} | coord-runner deny ${w.interactionId}`
      : `coord-runner answer ${w.interactionId} <answer>`;
  return `  ${w.interactionId}  job ${w.jobId}  ${oneLine(what)}\n      ${how}`;
}

function activeLines(active: ActiveAttempt[]): string[] {
  return active.flatMap((a) => [
    `  ${a.jobId}  attempt ${a.attemptNumber}  ${a.state.padEnd(14)} ${(a.agent ?? '-').padEnd(12)} ${(a.elapsedMs === null ? '-' : duration(a.elapsedMs)).padStart(7)}  ${oneLine(a.title)}${a.branch ? `  on ${oneLine(a.branch)}` : ''}`,
    ...(a.lastLine ? [`      ${oneLine(a.lastLine)}`] : []),
  ]);
}

export async function status(opts: { stateDir?: string; json?: boolean }): Promise<void> {
  const snapshot: StatusSnapshot = await callRunner(resolveStateDir(opts.stateDir), { method: 'status' });
  if (opts.json) return json(snapshot);
  const lines = [
    `Runner pid ${snapshot.pid}, coord-runner ${snapshot.runnerVersion}, state dir ${snapshot.stateDir}`,
    ...snapshot.connections.map(
      (c) =>
        `  ${c.server}  ${c.status}${c.runnerId ? ` as ${c.runnerId}` : ''}${c.message ? `: ${oneLine(c.message)}` : ''}`,
    ),
    `Jobs: ${snapshot.active.length} of ${snapshot.capacity} running`,
    ...activeLines(snapshot.active),
    ...(snapshot.waiting.length
      ? [`Waiting for an answer (${snapshot.waiting.length}):`, ...snapshot.waiting.map(describeWaiting)]
      : []),
  ];
  out(terminalSafe(lines.join('\n')));
}

export async function activeJobs(opts: { stateDir?: string; json?: boolean }): Promise<void> {
  const snapshot = await callRunner(resolveStateDir(opts.stateDir), { method: 'status' });
  if (opts.json) return json(snapshot.active);
  if (snapshot.active.length === 0) return out('No job is running on this runner.');
  out(rows(activeLines(snapshot.active)));
}

/** At a terminal, its width: table rows are cut to it. */
const rows = (lines: string[]) => tableRows(lines, process.stdout.isTTY ? process.stdout.columns : null);

export async function stop(opts: { stateDir?: string; drain?: boolean; now?: boolean; json?: boolean }) {
  if (opts.drain && opts.now) throw new CliError(EXIT.usage, 'Pass --drain or --now, not both.');
  const mode = opts.now ? 'force' : opts.drain ? 'drain' : 'graceful';
  const result = await callRunner(resolveStateDir(opts.stateDir), { method: 'stop', mode });
  if (opts.json) return json(result);
  out(
    mode === 'drain'
      ? `The runner takes no new job and stops when its ${result.active} running job(s) have finished.`
      : mode === 'graceful'
        ? `The runner is stopping: ${result.active} running job(s) are stopped gracefully (agents save their session; the jobs are requeued).`
        : `The runner is stopping now: its ${result.active} running job(s) have their agents ended at once and are reported stopped (and requeued); then it exits.`,
  );
}

export async function stopJob(job: string, opts: { stateDir?: string; json?: boolean }) {
  const result = await callRunner(resolveStateDir(opts.stateDir), { method: 'job.stop', job });
  if (opts.json) return json(result);
  out(`Stopping job ${result.jobId} (attempt ${result.attemptId}) gracefully.`);
}

/** A spooled event as the runner emitted it, so it is drawn exactly as `start` draws it live. */
function asRunnerEvent(page: Pick<LogPage, 'jobId' | 'attemptId'>, event: AttemptEvent): RunnerEvent {
  return {
    ...event.data,
    type: event.type,
    at: Date.parse(event.at),
    jobId: page.jobId,
    attemptId: page.attemptId,
  } as unknown as RunnerEvent;
}

export async function logs(job: string, opts: { stateDir?: string; follow?: boolean; json?: boolean }) {
  const stateDir = resolveStateDir(opts.stateDir);
  const print = (page: LogPage) => {
    for (const event of page.events) {
      if (opts.json) {
        out(terminalJson({ jobId: page.jobId, attemptId: page.attemptId, ...event }));
        continue;
      }
      // The whole log: every line of every result.
      const line = renderEvent(asRunnerEvent(page, event), { color: color(), resultLines: Infinity });
      if (line !== null) out(line);
    }
  };
  if (opts.follow) {
    const end = await subscribeRunner(stateDir, { topic: 'log', job }, (push) => {
      if (push.kind === 'log') print(push.page);
    });
    if (!end) throw new CliError(EXIT.noRunner, 'The runner went away while following the log.');
    return;
  }
  let afterSeq = 0;
  for (;;) {
    const page = await callRunner(stateDir, { method: 'log', job, afterSeq, limit: 1000 });
    print(page);
    if (page.events.length === 0 || page.lastSeq === afterSeq) return;
    afterSeq = page.lastSeq;
  }
}

/** `2026-01-31`, an ISO date-time, or an age like `30m`, `12h`, `7d`. */
export function parseWhen(value: string, flag: string, now = Date.now()): number {
  const age = /^(\d+)([mhd])$/.exec(value);
  if (age)
    return now - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'm' | 'h' | 'd'];
  const at = Date.parse(value);
  if (Number.isNaN(at)) {
    throw new CliError(
      EXIT.usage,
      `${flag} must be a date (2026-01-31), a date-time, or an age (30m, 12h, 7d), got "${value}".`,
    );
  }
  return at;
}

export interface HistoryFlags {
  stateDir?: string;
  json?: boolean;
  outcome?: string;
  since?: string;
  until?: string;
  workspace?: string;
  agent?: string;
  job?: string;
  limit: number;
  cursor?: string;
}

export function historyFilter(opts: HistoryFlags): HistoryFilter {
  const outcomes = opts.outcome?.split(',').map((o) => o.trim());
  for (const o of outcomes ?? []) {
    if (!outcomeSchema.safeParse(o).success) {
      throw new CliError(
        EXIT.usage,
        `--outcome must be one or more of ${outcomeSchema.options.join(', ')}, got "${o}".`,
      );
    }
  }
  return {
    ...(outcomes ? { outcome: outcomes as HistoryFilter['outcome'] } : {}),
    ...(opts.since ? { since: parseWhen(opts.since, '--since') } : {}),
    ...(opts.until ? { until: parseWhen(opts.until, '--until') } : {}),
    ...(opts.workspace ? { workspaceId: opts.workspace } : {}),
    ...(opts.agent ? { agent: opts.agent } : {}),
    ...(opts.job ? { jobId: opts.job } : {}),
  };
}

export async function history(opts: HistoryFlags): Promise<void> {
  const stateDir = resolveStateDir(opts.stateDir);
  const filter = historyFilter(opts);
  const query = { filter, cursor: opts.cursor ?? null, limit: opts.limit };
  let page;
  try {
    page = await callRunner(stateDir, { method: 'history', ...query });
  } catch (error) {
    if (!(error instanceof CliError && error.exitCode === EXIT.noRunner)) throw error;
    // The history is on disk: no runner is needed to read it.
    const { ControlError, createFileHistoryStore } = await import('@coord/runner-core');
    try {
      page = createFileHistoryStore(historyFile(stateDir)).query(query);
    } catch (refused) {
      if (refused instanceof ControlError) throw new CliError(EXIT.usage, refused.message, refused.hint);
      throw refused;
    }
  }
  if (opts.json) return json(page);
  if (page.entries.length === 0) return out('No finished job matches.');
  out(rows(page.entries.map(historyLine)));
  if (page.nextCursor) out(`More: coord-runner history --cursor ${page.nextCursor} (same filters)`);
}

function historyLine(e: HistoryEntry): string {
  const when = new Date(e.finishedAt).toISOString().replace('T', ' ').slice(0, 19);
  const result = e.pullRequest
    ? ` ${e.pullRequest.url}`
    : e.error
      ? ` ${e.error.code}: ${oneLine(e.error.message)}`
      : '';
  const cost = e.usage?.costUsd != null ? ` $${e.usage.costUsd.toFixed(2)}` : '';
  return `${when}  ${e.jobId}  #${e.attemptNumber}  ${e.outcome.padEnd(10)} ${(e.agent ?? '-').padEnd(12)} ${duration(e.durationMs).padStart(7)}${cost}  ${oneLine(e.title)}${result}`;
}

async function waitingInteraction(stateDir: string, id: string): Promise<WaitingInteraction> {
  const snapshot = await callRunner(stateDir, { method: 'status' });
  const waiting = snapshot.waiting.find((w) => w.interactionId === id);
  if (!waiting) {
    throw new CliError(
      EXIT.notFound,
      `No question or approval "${id}" is waiting on this runner (it may have been answered already).`,
      'See what is waiting with `coord-runner status`.',
    );
  }
  return waiting;
}

/** The approval `id` waiting on this runner; a question is answered with `answer`, not here. */
async function waitingApproval(stateDir: string, id: string): Promise<WaitingInteraction> {
  const waiting = await waitingInteraction(stateDir, id);
  if (waiting.request.kind !== 'approval') {
    throw new CliError(
      EXIT.usage,
      `${id} is a question, not an approval.`,
      `Answer it with \`coord-runner answer ${id} <answer>\`.`,
    );
  }
  return waiting;
}

async function send(stateDir: string, interactionId: string, answer: InteractionAnswer, asJson?: boolean) {
  const result = await callRunner(stateDir, { method: 'answer', interactionId, answer });
  if (asJson) return json(result);
  out(
    result.won
      ? `Answered ${interactionId}.`
      : `${interactionId} was already answered (by ${result.by}); that answer stands.`,
  );
}

export async function approve(
  id: string,
  opts: { stateDir?: string; session?: boolean; message?: string; json?: boolean },
) {
  const stateDir = resolveStateDir(opts.stateDir);
  await waitingApproval(stateDir, id);
  await send(
    stateDir,
    id,
    {
      kind: 'approval',
      decision: opts.session ? 'allow_session' : 'allow_once',
      ...(opts.message ? { message: opts.message } : {}),
    },
    opts.json,
  );
}

export async function deny(
  id: string,
  opts: { stateDir?: string; stop?: boolean; message?: string; json?: boolean },
) {
  const stateDir = resolveStateDir(opts.stateDir);
  await waitingApproval(stateDir, id);
  await send(
    stateDir,
    id,
    {
      kind: 'approval',
      decision: 'deny',
      ...(opts.message ? { message: opts.message } : {}),
      ...(opts.stop ? { stop: true } : {}),
    },
    opts.json,
  );
}

/**
 * `answer <id> <text...>` answers a one-question interaction; several questions need
 * `--to <question>=<answer>` for each (repeat it for several answers to one question).
 */
export async function answer(
  id: string,
  values: string[],
  opts: { stateDir?: string; to?: string[]; json?: boolean },
) {
  const stateDir = resolveStateDir(opts.stateDir);
  const waiting = await waitingInteraction(stateDir, id);
  if (waiting.request.kind !== 'question') {
    throw new CliError(
      EXIT.usage,
      `${id} is an approval.`,
      `Use \`coord-runner approve ${id}\` or \`coord-runner deny ${id}\`.`,
    );
  }
  const questions = waiting.request.questions;
  const answers: Record<string, string[]> = {};
  for (const pair of opts.to ?? []) {
    const eq = pair.indexOf('=');
    const qid = pair.slice(0, eq);
    if (eq < 1 || !questions.some((q) => q.id === qid)) {
      throw new CliError(
        EXIT.usage,
        `--to must be <question>=<answer> with one of: ${questions.map((q) => q.id).join(', ')}; got "${pair}".`,
      );
    }
    (answers[qid] ??= []).push(pair.slice(eq + 1));
  }
  if (values.length) {
    if (questions.length !== 1) {
      throw new CliError(
        EXIT.usage,
        `${id} asks ${questions.length} questions: answer each with --to <question>=<answer> (${questions.map((q) => q.id).join(', ')}).`,
      );
    }
    (answers[questions[0]!.id] ??= []).push(values.join(' '));
  }
  if (Object.keys(answers).length === 0) {
    throw new CliError(EXIT.usage, `Give an answer: coord-runner answer ${id} <answer>.`);
  }
  await send(stateDir, id, { kind: 'question', answers }, opts.json);
}
