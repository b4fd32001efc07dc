import type { Command } from '@commander-js/extra-typings';

const STATE_DIR = ['--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)'] as const;
const actions = () => import('./config-actions.js');

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('Read and change the runner settings (a running runner uses them from its next start)');

  config
    .command('list')
    .description('Every setting with its value (secrets masked) and what it does')
    .option(...STATE_DIR)
    .option('--json', 'print the settings as JSON')
    .action(async (opts) => (await actions()).list(opts));

  config
    .command('get')
    .description('One setting (a secret is masked)')
    .argument('<key>', 'setting name (see `config list`)')
    .option(...STATE_DIR)
    .option('--json', 'print the setting as JSON')
    .action(async (key, opts) => (await actions()).get(key, opts));

  config
    .command('set')
    .description('Change a setting; a secret (an API key) is read from stdin, never from the command line')
    .argument('<key>', 'setting name (see `config list`)')
    .argument('[value]', 'the new value (secrets: pipe it on stdin instead)')
    .option(...STATE_DIR)
    .option('--json', 'print the setting as JSON')
    .action(async (key, value, opts) => (await actions()).set(key, value, opts));

  config
    .command('unset')
    .description('Go back to the default of a setting')
    .argument('<key>', 'setting name')
    .option(...STATE_DIR)
    .action(async (key, opts) => (await actions()).unset(key, opts));
}
