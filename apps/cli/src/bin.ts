import { redactSecrets } from '@coord/runner-core';
import { buildProgram } from './main.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(
    `coord-runner: ${redactSecrets(error instanceof Error ? error.message : String(error))}\n`,
  );
  process.exitCode = 1;
}
