import { Argument, type Command } from '@commander-js/extra-typings';
import type { Command as PlainCommand } from 'commander';
import { bashCompletion, fishCompletion, zshCompletion } from '../completion.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description(
      'Print a shell completion script: `source <(coord-runner completion bash)`, or save it (zsh: to a file in $fpath named _coord-runner; fish: ~/.config/fish/completions/coord-runner.fish)',
    )
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish'] as const))
    .action((shell) => {
      const root = program as unknown as PlainCommand;
      const script =
        shell === 'bash'
          ? bashCompletion(root)
          : shell === 'zsh'
            ? zshCompletion(root)
            : fishCompletion(root);
      process.stdout.write(script);
    });
}
