export interface PromptInput {
  title: string;
  instructions: string;
  workDir: string;
}

/** The first message of a fresh session: the job, and where the agent is working. */
export function taskPrompt(input: PromptInput): string {
  return [
    `# ${input.title}`,
    '',
    input.instructions,
    '',
    `You are working in ${input.workDir}. Keep your changes inside it.`,
  ].join('\n');
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
