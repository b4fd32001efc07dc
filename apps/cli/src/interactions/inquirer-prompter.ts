import { checkbox, input, password, select } from '@inquirer/prompts';
import type { Prompter } from './ask.js';

/** The terminal prompts, drawn by @inquirer/prompts on stdin/stdout. */
export const inquirerPrompter: Prompter = {
  select: (message, choices, signal) => select({ message, choices }, { signal }),
  checkbox: (message, choices, signal) => checkbox({ message, choices }, { signal }),
  input: (message, signal) => input({ message }, { signal }),
  // Masked as it is typed: the answer must not stay on screen or in the scrollback.
  password: (message, signal) => password({ message, mask: '*' }, { signal }),
};
