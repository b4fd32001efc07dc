import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

/** The built CLI, started exactly as a user would start it. */
export const CLI_BIN = fileURLToPath(new URL('../../../../apps/cli/bin/coord-runner.js', import.meta.url));

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `coord-e2e-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A clean environment: no inherited tokens, a private HOME, git that never prompts. */
export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    LANG: 'C.UTF-8',
    GIT_TERMINAL_PROMPT: '0',
    ...extra,
  };
}

export function runCli(
  args: string[],
  options: { env: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number },
): ResultPromise {
  return execa(process.execPath, [CLI_BIN, ...args], {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    reject: false,
    all: true,
    // Never the test runner's own stdin: a CLI waiting on it would hang the test.
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  }) as unknown as ResultPromise;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts the CLI in the background, keeping what it prints readable while it runs (only the last
 * `keepChars` of it, for jobs that print a lot).
 */
export function startCli(
  args: string[],
  env: Record<string, string>,
  options: { keepChars?: number; /** Keep what it prints on stderr too. */ stderr?: boolean } = {},
): { child: ResultPromise; output: () => string } {
  const child = execa(process.execPath, [CLI_BIN, ...args], {
    env,
    extendEnv: false,
    reject: false,
    buffer: false,
    stdin: 'ignore',
  }) as unknown as ResultPromise;
  let printed = '';
  const keep = options.keepChars ?? Number.POSITIVE_INFINITY;
  const keepPrinted = (chunk: Buffer) => {
    printed += chunk.toString();
    if (printed.length > keep) printed = printed.slice(-keep);
  };
  child.stdout!.on('data', keepPrinted);
  if (options.stderr) child.stderr!.on('data', keepPrinted);
  return { child, output: () => printed };
}

/** Resolves once no process has this pid (it exited and was reaped). */
function readFileOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function processGone(pid: number, timeoutMs = 10_000): Promise<true> {
  return eventually(
    () => {
      try {
        process.kill(pid, 0);
      } catch {
        return true as const;
      }
      // Killed but not reaped (an orphan whose new parent, maybe PID 1 of a container, never
      // waits): a zombie runs nothing.
      const stat = process.platform === 'linux' ? readFileOrEmpty(`/proc/${pid}/stat`) : null;
      return stat === '' || (stat !== null && /\) Z /.test(stat)) ? (true as const) : undefined;
    },
    timeoutMs,
    `process ${pid} to be gone`,
  );
}
