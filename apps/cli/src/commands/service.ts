import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { readConfig } from '../config.js';
import { serviceEnvFile, serviceName, type ServiceSpec } from '../service/service-definition.js';
import {
  installService,
  isCurrent,
  serviceStatus,
  uninstallService,
  type ServiceHost,
} from '../service/service-manager.js';
import { defaultStateDir, resolveStateDir } from '../state-dir.js';
import { terminalJson, terminalSafe } from '../terminal-text.js';

function thisHost(): ServiceHost {
  return {
    platform: process.platform,
    home: homedir(),
    configHome: process.env.XDG_CONFIG_HOME,
    uid: userInfo().uid,
    run: (file, args) =>
      new Promise((resolve) => {
        execFile(file, [...args], { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
          const code = (error as (Error & { code?: unknown }) | null)?.code;
          resolve({
            // A missing program (ENOENT) is a failure too, with what happened as its message.
            exitCode: error ? (typeof code === 'number' ? code : 127) : 0,
            stdout,
            stderr: stderr || (error && typeof code !== 'number' ? error.message : ''),
          });
        });
      }),
  };
}

function specFor(stateDir: string): ServiceSpec {
  return {
    name: serviceName(stateDir, defaultStateDir()),
    node: process.execPath,
    // The script this process runs, resolved: a service must not depend on the shell's PATH or a symlink.
    cliScript: realpathSync(process.argv[1] ?? 'coord-runner'),
    stateDir,
    path: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  };
}

/** A service sees none of the shell's environment: it needs a saved sign-in. */
function requireSignIn(stateDir: string): void {
  if (!readConfig(stateDir).server || !existsSync(join(stateDir, 'credentials')))
    throw new Error(
      `No saved sign-in in ${stateDir}: run \`coord-runner login --server <url> --token-file <file>\` first (a service does not see COORD_TOKEN from your shell).`,
    );
}

export function registerService(program: Command): void {
  const service = program
    .command('service')
    .description('Run the runner as a user service that starts at login and restarts on failure');

  service
    .command('install')
    .description('Install and start the service (systemd user unit on Linux, launchd agent on macOS)')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      requireSignIn(stateDir);
      const installed = await installService(specFor(stateDir), thisHost());
      if (opts.json) return void process.stdout.write(`${terminalJson(installed)}\n`);
      process.stdout.write(
        terminalSafe(
          `Installed ${installed.name} (${installed.manager}): ${installed.state}.\n  file: ${installed.file}\n  logs: ${installed.logs}\n` +
            (installed.manager === 'systemd'
              ? `  Agent API keys a service needs go in ${serviceEnvFile(stateDir)} (NAME=value lines; keep it owner-only).\n`
              : ''),
        ),
      );
    });

  service
    .command('uninstall')
    .description('Stop the service and remove it')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const removed = await uninstallService(serviceName(stateDir, defaultStateDir()), thisHost());
      if (opts.json) return void process.stdout.write(`${terminalJson(removed)}\n`);
      process.stdout.write(
        terminalSafe(
          removed.removed ? `Removed ${removed.file}.\n` : `No service was installed (${removed.file}).\n`,
        ),
      );
    });

  service
    .command('status')
    .description('Whether the service is installed and running')
    .option('--state-dir <dir>', 'state directory (or set COORD_RUNNER_STATE_DIR)')
    .option('--json', 'print the status as JSON')
    .action(async (opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      const host = thisHost();
      const spec = specFor(stateDir);
      const status = { ...(await serviceStatus(spec.name, host)), current: isCurrent(spec, host) };
      if (opts.json) return void process.stdout.write(`${terminalJson(status)}\n`);
      const lines = [`${status.name} (${status.manager}): ${status.state}`, `  file: ${status.file}`];
      if (status.detail) lines.push(`  ${status.detail}`);
      if (status.installed && !status.current)
        lines.push(
          '  It runs another copy or version of coord-runner: `coord-runner service install` updates it.',
        );
      process.stdout.write(terminalSafe(`${lines.join('\n')}\n`));
    });
}
