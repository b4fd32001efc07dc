import type { AttemptView, JobView } from '@coord/runner-protocol';
import { duration } from './duration.js';
import { terminalSafe } from './terminal-text.js';

/** Server text (titles, summaries, errors) on one line, with no control characters. */
const oneLine = (text: string): string => terminalSafe(text).replace(/\s+/g, ' ').trim();
/** `2026-12-02 02:40:12` (UTC, as the server stores it). */
const when = (iso: string): string => iso.replace('T', ' ').slice(0, 19);

function routing(job: JobView): string {
  const { routing: r } = job.spec;
  return r.mode === 'runner' ? `the runner "${oneLine(r.runnerName)}"` : r.mode;
}

function where(job: JobView): string {
  const { context } = job.spec;
  if (context.type !== 'repository') return 'local job';
  const { owner, name, baseBranch } = context.repository;
  return `repository ${oneLine(`${owner}/${name}`)}${baseBranch ? ` (into ${oneLine(baseBranch)})` : ''}`;
}

function attemptLines(attempt: AttemptView, now: number): string[] {
  const ended = attempt.endedAt ? Date.parse(attempt.endedAt) : now;
  const took = duration(ended - Date.parse(attempt.startedAt));
  const lines = [
    `  #${attempt.number}  ${attempt.status.padEnd(9)} on ${oneLine(attempt.runnerName)}, ${when(attempt.startedAt)}, ${took}${attempt.endedAt ? '' : ' so far'}`,
  ];
  const detail = (label: string, text: string) => lines.push(`      ${label}: ${text}`);
  if (attempt.summary) detail('summary', oneLine(attempt.summary));
  if (attempt.error) detail('error', `${oneLine(attempt.error.code)}: ${oneLine(attempt.error.message)}`);
  if (attempt.pullRequest) detail('pull request', oneLine(attempt.pullRequest.url));
  if (attempt.outputs?.length) detail('outputs', attempt.outputs.map(oneLine).join(', '));
  if (attempt.usage) {
    const { inputTokens, outputTokens, costUsd } = attempt.usage;
    const cost = costUsd === undefined ? '' : `, $${costUsd.toFixed(2)}`;
    detail('usage', `${inputTokens} tokens in, ${outputTokens} out${cost}`);
  }
  return lines;
}

/**
 * `coord-runner jobs show` for a person: what the job is, why it waits (a Ready job), and each
 * attempt with how it ended. `--json` prints the server's view instead.
 */
export function jobText(job: JobView, now = Date.now()): string {
  const lines = [
    `${terminalSafe(job.id)}  ${job.status}  ${oneLine(job.spec.title)}`,
    `  ${where(job)} · agent ${oneLine(job.spec.agent.id)} · routed to ${routing(job)} · workspace ${oneLine(job.workspaceId)}`,
  ];
  if (job.waiting) lines.push(`  waiting: ${oneLine(job.waiting.message)}`);
  lines.push(job.attempts.length === 0 ? '  no attempt yet' : '  attempts:');
  for (const attempt of job.attempts) lines.push(...attemptLines(attempt, now));
  return lines.join('\n');
}
