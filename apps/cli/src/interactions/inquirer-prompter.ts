import { checkbox, input, select } from '@inquirer/prompts';
import type { Prompter } from './ask.js';

/** The terminal prompts, drawn by @inquirer/prompts on stdin/stdout. */
export const inquirerPrompter: Prompter = {
  select: (message, choices, signal) => select({ message, choices }, { signal }),
  checkbox: (message, choices, signal) => checkbox({ message, choices }, { signal }),
  input: (message, signal) => input({ message }, { signal }),
};
