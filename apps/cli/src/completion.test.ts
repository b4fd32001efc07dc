import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { bashCompletion, fishCompletion, zshCompletion } from './completion.js';
import { buildProgram } from './main.js';

const program = buildProgram() as unknown as Command;

/** What real bash offers for the typed words (the last one being completed). */
function complete(...typed: string[]): string[] {
  const script = `${bashCompletion(program)}
COMP_WORDS=(coord-runner ${typed.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${typed.length}
_coord_runner
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean).sort();
}

describe.skipIf(process.platform === 'win32')('bash completion (run in real bash)', () => {
  it('offers the top-level commands, filtered by what is typed', () => {
    expect(complete('')).toEqual(expect.arrayContaining(['agents', 'jobs', 'login', 'service', 'start']));
    expect(complete('se')).toEqual(['service']);
  });

  it('offers subcommands of the command typed, and its flags after a dash', () => {
    expect(complete('service', '')).toEqual(['install', 'status', 'uninstall']);
    expect(complete('service', 'install', '--')).toEqual(['--help', '--json', '--state-dir']);
    expect(complete('start', '--perm')).toEqual(['--permission-mode']);
  });

  it('skips flags between the words of a command', () => {
    expect(complete('service', '--help', 'in')).toEqual(['install']);
  });
});

describe('zsh and fish completion', () => {
  it('zsh loads the bash function through bashcompinit', () => {
    const script = zshCompletion(program);
    expect(script.startsWith('#compdef coord-runner\nautoload -U +X bashcompinit && bashcompinit\n')).toBe(
      true,
    );
    expect(script).toContain('complete -o default -F _coord_runner coord-runner');
  });

  it('fish completes subcommands only where they belong', () => {
    const script = fishCompletion(program);
    expect(script).toContain("complete -c coord-runner -n '__fish_use_subcommand' -a service");
    expect(script).toContain(
      "complete -c coord-runner -n '__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from install uninstall status' -a install",
    );
    expect(script).toContain(
      "complete -c coord-runner -n '__fish_seen_subcommand_from install' -l state-dir",
    );
  });
});
