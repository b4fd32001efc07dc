import { checkbox, input, password, select } from '@inquirer/prompts';
import type { Prompter } from './ask.js';

/**
 * The prompt's context: cancelled through `signal`, and then wiped off the screen (an answer from
 * elsewhere took it away; left drawn, it would look as if it still waited for a key). inquirer
 * reads `clearPromptOnDone` as the prompt ends, so an answered prompt keeps its "✔" line.
 */
function contextFor(signal: AbortSignal) {
  return {
    signal,
    get clearPromptOnDone() {
      return signal.aborted;
    },
  };
}

/** The terminal prompts, drawn by @inquirer/prompts on stdin/stdout. */
export const inquirerPrompter: Prompter = {
  select: (message, choices, signal) => select({ message, choices }, contextFor(signal)),
  checkbox: (message, choices, signal) => checkbox({ message, choices }, contextFor(signal)),
  input: (message, signal) => input({ message }, contextFor(signal)),
  // Masked as it is typed: the answer must not stay on screen or in the scrollback.
  password: (message, signal) => password({ message, mask: '*' }, contextFor(signal)),
};
