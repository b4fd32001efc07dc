import { isCoordError, redactSecrets } from '@coord/runner-core/errors';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { terminalSafe } from './terminal-text.js';

/** What a failed command prints (what happened, what to do next) and the exit code it maps to. */
export function describeFailure(error: unknown): { message: string; exitCode: ExitCode } {
  const text = (s: string) => terminalSafe(redactSecrets(s));
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CliError) {
    return {
      message: `coord-runner: ${text(message)}\n${error.hint ? `  ${text(error.hint)}\n` : ''}`,
      exitCode: error.exitCode,
    };
  }
  const exitCode = isCoordError(error)
    ? error.code === 'api.network'
      ? EXIT.serverUnreachable
      : error.code === 'auth.invalid_token'
        ? EXIT.notSignedIn
        : EXIT.failed
    : EXIT.failed;
  return { message: `coord-runner: ${text(message)}\n`, exitCode };
}
