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
}

/** Title, blank line, summary, blank line, trailers that tie the commit to its job and attempt. */
export function commitMessage(input: CommitMessageInput): string {
  const subject = singleLine(input.title) || `Coord job ${input.jobId}`;
  const summary = input.summary.trim();
  const trailers = `Coord-Job: ${input.jobId}\nCoord-Attempt: ${input.attemptNumber}`;
  return summary ? `${subject}\n\n${summary}\n\n${trailers}\n` : `${subject}\n\n${trailers}\n`;
}

export interface PullRequestBodyInput {
  summary: string;
  jobId: string;
  attemptNumber: number;
  agentDisplayName: string;
}

export function pullRequestBody(input: PullRequestBodyInput): string {
  const summary = input.summary.trim() || '_The agent left no summary._';
  const agent = singleLine(input.agentDisplayName, 100) || 'an agent';
  return `${summary}\n\n---\nCoord job \`${input.jobId}\`, attempt ${input.attemptNumber}, by ${agent}.\n`;
}
