import type { AgentRunInput } from '@coord/runner-core';

export type PromptInput = Pick<
  AgentRunInput,
  'title' | 'instructions' | 'workDir' | 'workContext' | 'earlierAttempts'
>;

/** Where the agent works and what becomes of its work, as the runner will deliver it. */
function whereLines(input: PromptInput): string[] {
  const context = input.workContext;
  if (context?.kind === 'repository') {
    return [
      `You are working in ${input.workDir}, a clone of ${context.repository} on branch ${context.branch} (from ${context.baseBranch}).`,
      'Keep your changes inside it. Do not commit or push: when you finish, the runner commits your changes, pushes the branch and opens the pull request.',
    ];
  }
  if (context?.kind === 'local') {
    return [
      `You are working in ${input.workDir}, a scratch directory for this job.`,
      "Keep your changes inside it: the files you leave there are uploaded as the job's outputs.",
    ];
  }
  return [`You are working in ${input.workDir}. Keep your changes inside it.`];
}

/** What earlier attempts of this job did, so this one builds on them instead of starting blind. */
function earlierLines(input: PromptInput): string[] {
  const earlier = input.earlierAttempts ?? [];
  if (earlier.length === 0) return [];
  return [
    '',
    '## Earlier attempts',
    ...earlier.map(
      (a) =>
        `- Attempt ${a.number} (${a.status})${a.error ? `: ${a.error}` : ''}${a.summary ? `\n  Summary: ${a.summary}` : ''}`,
    ),
  ];
}

/** The first message of a fresh session: the job, where the agent works, what was tried before. */
export function taskPrompt(input: PromptInput): string {
  return [`# ${input.title}`, '', input.instructions, '', ...whereLines(input), ...earlierLines(input)].join(
    '\n',
  );
}

/**
 * The message that continues a resumed session. Its history holds the task as it was; the task
 * is given again as it is now, since a new attempt may carry a reviewer's feedback.
 */
export function continuePrompt(input: PromptInput): string {
  return [
    'This continues your earlier session on this task, which ended before you finished.',
    'Continue where you left off; the task as it stands now follows (it may include new feedback).',
    '',
    taskPrompt(input),
  ].join('\n');
}

/**
 * A fresh session standing in for one the CLI could not resume: the task again, plus a recap of
 * what is known about the earlier try, so the agent checks the work directory before redoing work.
 */
export function recapPrompt(input: PromptInput, previousSessionId: string): string {
  return [
    taskPrompt(input),
    '',
    '## Recap of earlier tries',
    `This task was started before, in a session (${previousSessionId}) that could not be resumed.`,
    'Files in the work directory may already hold part of that work: look at what is there before you start, and do not redo what is done.',
  ].join('\n');
}
