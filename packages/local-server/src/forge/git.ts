import { spawn } from 'node:child_process';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment git runs with in the server: no system config, no prompts, a fixed identity for
 * the commits the forge makes itself. Nothing from the request reaches it but argv values checked
 * by the callers (never options) and stdin.
 */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Coord forge',
    GIT_AUTHOR_EMAIL: 'forge@coord.localhost',
    GIT_COMMITTER_NAME: 'Coord forge',
    GIT_COMMITTER_EMAIL: 'forge@coord.localhost',
    ...extra,
  };
}

/** Runs git with an argv array (never a shell) and collects its output. */
export function git(
  args: string[],
  options: { cwd?: string; input?: string | Buffer } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => undefined); // git may exit before reading all input
    child.stdin.end(options.input ?? '');
  });
}

/** Like git(), but a non-zero exit is an error carrying stderr. */
export async function gitOk(
  args: string[],
  options: { cwd?: string; input?: string | Buffer } = {},
): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0) throw new Error(`git ${args[0]} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}
