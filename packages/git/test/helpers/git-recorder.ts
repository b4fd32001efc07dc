import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface GitRecorder {
  /** Pass as `gitBinary`. */
  binary: string;
  /**
   * One entry per git process: its argv, whether an auth header reached its environment, its
   * environment, its CPU niceness and its working directory.
   */
  calls(): Promise<GitCall[]>;
}

export interface GitCall {
  argv: string;
  auth: boolean;
  env: string;
  nice: number;
  cwd: string;
}

/** A git wrapper that records each invocation's argv and environment before running the real git. */
export async function createGitRecorder(dir: string): Promise<GitRecorder> {
  const log = join(dir, 'git-calls.log');
  const binary = join(dir, 'git-recorder.sh');
  const realGit = 'git';
  await writeFile(
    binary,
    [
      '#!/bin/sh',
      `{ printf 'ARGV'; for a in "$@"; do printf ' %s' "$a"; done; printf '\\n';`,
      `  case "$(env)" in *'Authorization: Basic'*) printf 'AUTH yes\\n';; *) printf 'AUTH no\\n';; esac;`,
      `  env | tr '\\n' ' '; printf '\\n'; printf 'NICE %s %s\\n' "$(nice)" "$PWD"; } >> '${log}'`,
      `exec ${realGit} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(binary, 0o755);
  return {
    binary,
    async calls() {
      const text = await readFile(log, 'utf8').catch(() => '');
      const lines = text.split('\n');
      const calls: GitCall[] = [];
      for (let i = 0; i + 3 < lines.length; i += 4) {
        const [, nice, cwd] = /^NICE (-?\d+) (.*)$/.exec(lines[i + 3] ?? '') ?? [];
        calls.push({
          argv: (lines[i] ?? '').replace(/^ARGV /, ''),
          auth: lines[i + 1] === 'AUTH yes',
          env: lines[i + 2] ?? '',
          nice: Number(nice),
          cwd: cwd ?? '',
        });
      }
      return calls;
    },
  };
}
