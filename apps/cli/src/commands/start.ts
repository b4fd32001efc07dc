import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import type { PermissionMode } from '@coord/runner-protocol';
import { PERMISSION_MODES } from '@coord/runner-protocol/names';
import { holdSignals } from '../held-signals.js';

export interface StartFlags {
  server?: string;
  stateDir?: string;
  tokenFile?: string;
  workspaceDir?: string;
  name?: string;
  capacity?: number;
  once?: boolean;
  keepWorkTrees?: boolean;
  forgeRetryFor?: number;
  permissionMode?: PermissionMode;
  json?: boolean;
  text?: boolean;
  interactive: boolean;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run a runner: register with the Coord server, claim Ready jobs and run them')
    .option('--server <url>', 'Coord server URL (or COORD_SERVER, or the one saved by login)')
    .option('--token-file <file>', 'file holding the Coord token (or set COORD_TOKEN)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .option('--workspace-dir <dir>', 'where work trees of attempts live')
    .option('--name <name>', 'runner name shown in Coord (default: host name)')
    .option('--capacity <n>', 'jobs to run at once (default: the capacity setting, else 1)', (v) =>
      parsePositiveInt(v, '--capacity'),
    )
    .option('--once', 'exit after one job has finished (one-job mode for clean environments)')
    .option('--keep-work-trees', 'keep work trees of delivered jobs too (failed ones are always kept)')
    .option(
      '--forge-retry-for <seconds>',
      'how long pushes, fetches and pull-request calls keep retrying through an outage (default 300)',
      (v) => parsePositiveInt(v, '--forge-retry-for'),
    )
    .addOption(
      new Option(
        '--permission-mode <mode>',
        'what agents may do without asking: ask (everything asks), auto_edit (edits inside the project), auto_project (anything inside the project); outside the project and dangerous calls always ask (default: the permissionMode setting, else ask)',
      ).choices(PERMISSION_MODES),
    )
    .option('--json', 'print events as NDJSON (the default when stdout is not a terminal)')
    .option('--text', 'print events as plain lines, with no live status area (even when not a terminal)')
    .option('--no-interactive', 'never prompt for approvals and answers here (answer them on the web)')
    .action(async (opts) => {
      // Before the runner's modules load: a stop signal meanwhile is a clean stop, not a kill.
      const early = holdSignals();
      await (await import('./start-action.js')).start(opts, early);
    });
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`${flag} must be a positive whole number, got "${value}"`);
  }
  return n;
}
