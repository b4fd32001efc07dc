import type { Command } from '@commander-js/extra-typings';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check this machine: git, agents, sign-in to the server, GitHub reachability, disk space, the state dir; with a next step for each problem',
    )
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .option('--json', 'print the checks as JSON')
    .action(async (opts) => (await import('./doctor-actions.js')).doctor(opts));
}
