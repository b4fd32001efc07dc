import { CommanderError } from '@commander-js/extra-typings';
import { buildProgram } from './main.js';
import { describeFailure } from './failure.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the message (and the help for usage errors).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(message);
    process.exitCode = exitCode;
  }
}
