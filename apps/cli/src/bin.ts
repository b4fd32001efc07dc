import { redactSecrets } from '@coord/runner-core';
import { buildProgram } from './main.js';
import { terminalSafe } from './terminal-text.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(
    `coord-runner: ${terminalSafe(redactSecrets(error instanceof Error ? error.message : String(error)))}\n`,
  );
  process.exitCode = 1;
}
