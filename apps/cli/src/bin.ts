import { CommanderError } from '@commander-js/extra-typings';
import { buildProgram } from './main.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the message (and the help for usage errors).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    // Loaded only on failure: the redactor's patterns are not free to compile.
    const { describeFailure } = await import('./failure.js');
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(message);
    process.exitCode = exitCode;
  }
}
