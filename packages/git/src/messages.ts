import type { GitIdentity } from './git-env.js';

/** One line, no control characters: titles go into commit subjects and PR titles. */
export function singleLine(text: string, maxLength = 200): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f\s]+/g, ' ')
      .trim()
      .slice(0, maxLength)
  );
}

export interface CommitMessageInput {
  title: string;
  summary: string;
  jobId: string;
  attemptNumber: number;
  /** The job's submitter, credited with a `Co-authored-by` trailer. */
  coAuthor?: GitIdentity | null | undefined;
}

/** `Name <email>` as a trailer may carry it: one line, no angle brackets of its own. */
function trailerIdentity(identity: GitIdentity): string | null {
  const name = singleLine(identity.name, 200).replace(/[<>]/g, '');
  const email = singleLine(identity.email, 320).replace(/[<>\s]/g, '');
  return name && /^[^@]+@[^@]+$/.test(email) ? `${name} <${email}>` : null;
}

/** Title, blank line, the agent's summary, blank line, trailers that tie the commit to its job and attempt. */
export function commitMessage(input: CommitMessageInput): string {
  const subject = singleLine(input.title) || `Coord job ${input.jobId}`;
  const summary = input.summary.trim();
  const coAuthor = input.coAuthor ? trailerIdentity(input.coAuthor) : null;
  const trailers = [
    `Coord-Job: ${input.jobId}`,
    `Coord-Attempt: ${input.attemptNumber}`,
    ...(coAuthor ? [`Co-authored-by: ${coAuthor}`] : []),
  ].join('\n');
  return summary ? `${subject}\n\n${summary}\n\n${trailers}\n` : `${subject}\n\n${trailers}\n`;
}

export interface AttemptLine {
  number: number;
  status: string;
  summary: string | null;
  error: string | null;
  feedback?: string | null | undefined;
}

export interface PullRequestBodyInput {
  summary: string;
  jobId: string;
  /** The job's page on the Coord server, when the server said. */
  jobUrl?: string | null | undefined;
  attemptNumber: number;
  agentDisplayName: string;
  /** Earlier attempts, oldest first. */
  earlier?: readonly AttemptLine[] | undefined;
  /** The reviewer feedback this attempt answers. */
  feedback?: string | null | undefined;
}

/** Markdown-inert one-liner for a list item: no line breaks, no HTML, capped. */
function listText(text: string, max = 160): string {
  const line = singleLine(text, max + 1).replace(/[<>]/g, '');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function attemptLine(attempt: AttemptLine, current: boolean): string {
  const parts = [`Attempt ${attempt.number}${current ? ' (this one)' : ''}: ${attempt.status}`];
  if (attempt.feedback) parts.push(`answering review "${listText(attempt.feedback, 120)}"`);
  const words = attempt.error ?? attempt.summary;
  if (words) parts.push(listText(words));
  return `- ${parts.join(' — ')}`;
}

/**
 * The agent's summary, then a footer that links the job and lists every attempt, so a reviewer
 * sees on the forge what each revision answered.
 */
export function pullRequestBody(input: PullRequestBodyInput): string {
  const summary = input.summary.trim() || '_The agent left no summary._';
  const agent = singleLine(input.agentDisplayName, 100) || 'an agent';
  const job = input.jobUrl ? `[\`${input.jobId}\`](${input.jobUrl})` : `\`${input.jobId}\``;
  const attempts = [
    ...(input.earlier ?? []).filter((a) => a.number < input.attemptNumber),
    {
      number: input.attemptNumber,
      status: 'pushed',
      summary: input.summary.trim() || null,
      error: null,
      feedback: input.feedback ?? null,
    },
  ].map((a) => attemptLine(a, a.number === input.attemptNumber));
  return (
    `${summary}\n\n---\nCoord job ${job}, attempt ${input.attemptNumber}, by ${agent}.\n\n` +
    `Attempts:\n${attempts.join('\n')}\n`
  );
}
