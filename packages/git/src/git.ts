import { CoordError, type ErrorCode } from '@coord/runner-core';
import { GitError, GitPluginError, simpleGit, type SimpleGit } from 'simple-git';

export interface GitOptions {
  baseDir: string;
  env: Record<string, string>;
  signal: AbortSignal;
  binary?: string | undefined;
  /**
   * Runs git at a lower CPU priority (`nice`, on systems that have it): for background work no
   * job waits for, so that it never slows the jobs and agents running meanwhile.
   */
  lowPriority?: boolean;
}

/**
 * A simple-git instance for one directory with an explicit environment. The environment guard and
 * the unsafe-operation checks stay on; only the guarded keys we set ourselves are allowed
 * (`GIT_CONFIG_*` carries our protocol rules and, for network commands, the auth header).
 */
export function createGit(options: GitOptions): SimpleGit {
  const guarded = Object.keys(options.env).filter((key) => key.startsWith('GIT_'));
  const binary =
    options.lowPriority && process.platform !== 'win32'
      ? (['nice', options.binary ?? 'git'] as [string, string])
      : options.binary;
  return simpleGit({
    baseDir: options.baseDir,
    ...(binary ? { binary } : {}),
    abort: options.signal,
    allowEnvironment: guarded,
    unsafe: { allowUnsafeConfigEnvCount: 'GIT_CONFIG_COUNT' in options.env },
  }).env(options.env);
}

// Wording git and curl use for failures that may pass on a retry.
const transientPatterns = [
  /could not resolve host/i,
  /could not resolve proxy/i,
  /connection (?:refused|reset|timed out)/i,
  /operation timed out/i,
  /timed out/i,
  /failed to connect/i,
  /early eof/i,
  /rpc failed/i,
  /the remote end hung up unexpectedly/i,
  // curl's words for a server that went away mid-request (killed, restarting): nothing came back,
  // or the connection broke while sending or receiving.
  /empty reply from server/i,
  /(?:send|recv) failure/i,
  /unexpected disconnect/i,
  /http 5\d\d|error: 5\d\d|returned error: 5\d\d/i,
  /ssl_(?:read|write|connect)|gnutls_handshake|tls connection/i,
  /network is unreachable/i,
  /temporary failure/i,
];

export function isTransientGitFailure(message: string): boolean {
  return transientPatterns.some((pattern) => pattern.test(message));
}

export function throwIfAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new CoordError('job.cancelled', `${what} was cancelled.`);
}

/** git's own words, trimmed to what helps a person: the `fatal:`/`error:` lines, at most a few. */
export function gitMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const important = lines.filter((line) => /^(fatal|error|remote|!|\s*\[)/i.test(line));
  return (important.length > 0 ? important : lines).slice(0, 6).join(' | ').slice(0, 1000);
}

/**
 * Runs one git step and turns its failure into a CoordError with `code`. Aborts become
 * `job.cancelled`; the transient ones are retryable unless `retryable` decides otherwise.
 */
export async function gitStep<T>(
  signal: AbortSignal,
  code: ErrorCode,
  what: string,
  run: () => Promise<T>,
  retryable: (message: string) => boolean = isTransientGitFailure,
): Promise<T> {
  throwIfAborted(signal, what);
  try {
    return await run();
  } catch (error) {
    if (signal.aborted || (error instanceof GitPluginError && error.plugin === 'abort')) {
      throw new CoordError('job.cancelled', `${what} was cancelled.`, { cause: error });
    }
    if (error instanceof CoordError) throw error;
    if (isMissingGit(error)) {
      throw new CoordError(
        code,
        `${what} failed: git could not be started. Is git (2.30 or newer) installed and on the runner's PATH? (Node reports a missing working directory the same way.)`,
        { cause: error },
      );
    }
    const message = gitMessage(error);
    throw new CoordError(code, `${what} failed: ${message}`, {
      cause: error,
      retryable: error instanceof GitError ? retryable(message) : false,
    });
  }
}

/**
 * `ancestor` is reachable from `commit`. Asked as "is their merge base `ancestor`": simple-git
 * resolves a command that exits non-zero without output, so `merge-base --is-ancestor` cannot say no.
 */
export async function isAncestor(
  git: SimpleGit,
  signal: AbortSignal,
  ancestor: string,
  commit: string,
): Promise<boolean> {
  const [a, base] = await gitStep(signal, 'workspace.failed', 'Comparing commits', async () => [
    (await git.raw(['rev-parse', '--verify', `${ancestor}^{commit}`])).trim(),
    (await git.raw(['merge-base', ancestor, commit])).trim(),
  ]);
  return a === base;
}

/** Starting git failed (spawn ENOENT): not a git command that failed, but git that never ran. */
function isMissingGit(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (
    let e: unknown = error;
    e && typeof e === 'object' && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    if (/spawn \S*git\S* ENOENT/.test(String((e as Error).message))) {
      return true;
    }
  }
  return false;
}
