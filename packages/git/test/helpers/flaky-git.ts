import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FlakyGit {
  /** Pass as `gitBinary`. */
  binary: string;
  /** From now on, every command that talks to the remote fails as if the forge were unreachable. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** The network commands tried while the forge was down, in order: `push`, `fetch`, `ls-remote`. */
  failed(): Promise<string[]>;
}

/**
 * Real git, behind a switch that makes the network commands (push, fetch, ls-remote) fail with
 * git's own words for an unreachable host, and exit 128, as git does. The failure also prints the
 * auth header it was given, to prove that nothing shows it.
 */
export async function createFlakyGit(dir: string): Promise<FlakyGit> {
  const binary = join(dir, 'flaky-git.sh');
  const downFile = join(dir, 'forge-down');
  const log = join(dir, 'forge-down.log');
  await writeFile(
    binary,
    [
      '#!/bin/sh',
      `if [ -e '${downFile}' ]; then`,
      '  case "$1" in push|fetch|ls-remote)',
      `    echo "$1" >> '${log}'`,
      `    echo "fatal: unable to access 'https://forge.example/acme/widgets.git/': Failed to connect to forge.example port 443 after 2 ms: Couldn't connect to server ($(env | grep Authorization))" >&2`,
      '    exit 128;;',
      '  esac',
      'fi',
      'exec git "$@"',
      '',
    ].join('\n'),
  );
  await chmod(binary, 0o755);
  return {
    binary,
    down: () => writeFile(downFile, ''),
    up: () => rm(downFile, { force: true }),
    failed: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}
