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
        : isUnknownThing(error)
          ? EXIT.notFound
          : EXIT.failed
    : EXIT.failed;
  return { message: `coord-runner: ${text(message)}\n`, exitCode };
}

/**
 * The server knows no such job or interaction (a 404 `job.not_found`, ...). Read off the API
 * error's fields rather than its class, which would load the whole client into every command.
 */
function isUnknownThing(error: Error): boolean {
  const { status, serverCode } = error as { status?: unknown; serverCode?: unknown };
  return (
    status === 404 &&
    (serverCode === 'job.not_found' ||
      serverCode === 'attempt.not_found' ||
      serverCode === 'interaction.not_found')
  );
}
