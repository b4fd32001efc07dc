/**
 * The exit codes of every command: a stable contract for scripts, documented in `--help`. Add at
 * the end; never renumber.
 */
export const EXIT = {
  ok: 0,
  /** Anything else that failed (the message says what). */
  failed: 1,
  /** A flag or argument is wrong. */
  usage: 2,
  /** No token, or the server refused it. */
  notSignedIn: 3,
  /** The Coord server cannot be reached. */
  serverUnreachable: 4,
  /** No runner is running on this state dir (for commands that talk to it). */
  noRunner: 5,
  /** The runner knows no such job, attempt or interaction. */
  notFound: 6,
  /** A runner is already running on this state dir. */
  runnerRunning: 7,
  /** The running runner is another version of coord-runner. */
  versionMismatch: 8,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const described: Array<[ExitCode, string]> = [
  [EXIT.ok, 'success'],
  [EXIT.failed, 'failed (the message says why)'],
  [EXIT.usage, 'bad flag or argument'],
  [EXIT.notSignedIn, 'not signed in (no token, or the server refused it)'],
  [EXIT.serverUnreachable, 'the Coord server is unreachable'],
  [EXIT.noRunner, 'no runner is running on this state dir'],
  [EXIT.notFound, 'unknown job, attempt or interaction'],
  [EXIT.runnerRunning, 'a runner is already running on this state dir'],
  [EXIT.versionMismatch, 'the running runner is another coord-runner version'],
];

export const EXIT_CODES_HELP = `\nExit codes:\n${described.map(([code, text]) => `  ${String(code).padEnd(3)} ${text}`).join('\n')}\n`;

/** A failure a person can act on: what happened, what to do next, and the exit code it maps to. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
