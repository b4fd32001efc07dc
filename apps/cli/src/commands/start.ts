import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { join } from 'node:path';
import {
  createControlService,
  createFileEventSpool,
  createFileHistoryStore,
  permissionModeSchema,
  type PermissionMode,
} from '@coord/runner-core';
import { openControlEndpoint, type ControlEndpoint } from '../control/control-server.js';
import { historyFile } from '../state-dir.js';
import { CLI_VERSION } from '../version.js';
import { resolveConnection } from '../connection.js';
import { composeRunner } from '../compose.js';
import { agentSettings, readConfig } from '../config.js';
import { followRunner } from '../follow.js';

interface StartFlags {
  tokenFile?: string;
  workspaceDir?: string;
  name?: string;
  capacity: number;
  once?: boolean;
  keepWorkTrees?: boolean;
  forgeRetryFor?: number;
  permissionMode: PermissionMode;
  json?: boolean;
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
    .option('--capacity <n>', 'jobs to run at once', (v) => parsePositiveInt(v, '--capacity'), 1)
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
        'what agents may do without asking: ask (everything asks), auto_edit (edits inside the project), auto_project (anything inside the project); outside the project and dangerous calls always ask',
      )
        .choices(permissionModeSchema.options)
        .default('ask' as const),
    )
    .option('--json', 'print events as NDJSON instead of text')
    .option('--no-interactive', 'never prompt for approvals and answers here (answer them on the web)')
    .action(async (opts) => {
      const { server, token, stateDir } = resolveConnection(opts);
      // Before anything else: a second runner on this state dir must not register at all.
      const endpoint = await openControlEndpoint(stateDir);
      try {
        process.exitCode = await run(opts, { server, token, stateDir }, endpoint);
      } finally {
        await endpoint.close();
      }
    });
}

async function run(
  opts: StartFlags,
  { server, token, stateDir }: { server: string; token: string; stateDir: string },
  endpoint: ControlEndpoint,
): Promise<number> {
  const config = readConfig(stateDir);
  const spool = createFileEventSpool(join(stateDir, 'attempts'));
  const runner = composeRunner({
    ...agentSettings(config, (message) => process.stderr.write(`config.json: ${message}\n`)),
    server,
    token,
    stateDir,
    ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}),
    ...(opts.workspaceDir ? { workspaceDir: opts.workspaceDir } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    capacity: opts.capacity,
    keepWorkTrees: opts.keepWorkTrees ?? false,
    ...(opts.forgeRetryFor ? { forgeRetryForMs: opts.forgeRetryFor * 1000 } : {}),
    permissions: { mode: opts.permissionMode },
    spool,
  });
  let stopAsked = false;
  const warn = (error: unknown) =>
    process.stderr.write(`coord-runner: ${error instanceof Error ? error.message : String(error)}\n`);
  endpoint.serve(
    createControlService({
      runner,
      spool,
      history: createFileHistoryStore(historyFile(stateDir), {
        ...(config.history?.maxEntries ? { maxEntries: config.history.maxEntries } : {}),
        ...(config.history?.maxAgeDays ? { maxAgeMs: config.history.maxAgeDays * 86_400_000 } : {}),
      }),
      server,
      capacity: opts.capacity,
      runnerVersion: CLI_VERSION,
      stateDir,
      handlers: {
        onStop: () => (stopAsked = true),
        force: () => {
          process.stderr.write('Asked to stop now (coord-runner stop --now): exiting.\n');
          // After the answer has left.
          setTimeout(() => process.exit(130), 50);
        },
      },
      onError: warn,
    }),
  );
  return followRunner(runner, {
    json: opts.json ?? false,
    once: opts.once ?? false,
    interactive: opts.interactive,
    stopAsked: () => stopAsked,
  });
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`${flag} must be a positive whole number, got "${value}"`);
  }
  return n;
}
