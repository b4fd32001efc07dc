import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { launchdLabel, launchdPlist, systemdUnit, type ServiceSpec } from './service-definition.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The machine a service is installed on: where files go and how the service manager is called. */
export interface ServiceHost {
  platform: NodeJS.Platform;
  home: string;
  /** XDG_CONFIG_HOME, when set. */
  configHome?: string | undefined;
  uid: number;
  run(file: string, args: readonly string[]): Promise<CommandResult>;
}

export type ServiceManager = 'systemd' | 'launchd';

export interface ServiceStatus {
  name: string;
  manager: ServiceManager;
  file: string;
  installed: boolean;
  /** What the service manager says: `active`, `inactive`, `failed`, ... or `unknown` if it cannot be asked. */
  state: string;
  detail: string | null;
}

export interface InstalledService extends ServiceStatus {
  /** How to follow its output. */
  logs: string;
}

export class ServiceError extends Error {}

function managerOf(host: ServiceHost): ServiceManager {
  if (host.platform === 'linux') return 'systemd';
  if (host.platform === 'darwin') return 'launchd';
  throw new ServiceError(
    host.platform === 'win32'
      ? 'Service mode is not built in on Windows. Run `coord-runner start --json` from Task Scheduler ("At log on", "Restart on failure") or wrap it with NSSM; see the README.'
      : `Service mode supports Linux (systemd) and macOS (launchd), not ${host.platform}.`,
  );
}

export function serviceFile(name: string, host: ServiceHost): string {
  return managerOf(host) === 'systemd'
    ? join(host.configHome || join(host.home, '.config'), 'systemd', 'user', `${name}.service`)
    : join(host.home, 'Library', 'LaunchAgents', `${launchdLabel(name)}.plist`);
}

function failure(what: string, result: CommandResult): string {
  return `${what} failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n')[0] ?? ''}`;
}

/**
 * Writes the unit (or agent) and starts it now and at every login. A file that is already there
 * is replaced (a reinstall after an upgrade points it at the new CLI). If the service manager
 * cannot start it, the file stays and the error says what to run.
 */
export async function installService(spec: ServiceSpec, host: ServiceHost): Promise<InstalledService> {
  const manager = managerOf(host);
  const file = serviceFile(spec.name, host);
  mkdirSync(dirname(file), { recursive: true });
  if (manager === 'systemd') {
    writeFileSync(file, systemdUnit(spec), { mode: 0o644 });
    const reload = await host.run('systemctl', ['--user', 'daemon-reload']);
    const enable =
      reload.exitCode === 0
        ? await host.run('systemctl', ['--user', 'enable', '--now', `${spec.name}.service`])
        : reload;
    if (enable.exitCode !== 0)
      throw new ServiceError(
        `Wrote ${file}, but ${failure('systemctl --user', enable)}. Without a login session (a server over ssh), run \`loginctl enable-linger $USER\` once, then \`systemctl --user enable --now ${spec.name}.service\`.`,
      );
    return {
      ...(await serviceStatus(spec.name, host)),
      logs: `journalctl --user -u ${spec.name}.service -f`,
    };
  }
  mkdirSync(join(spec.stateDir, 'logs'), { recursive: true, mode: 0o700 });
  writeFileSync(file, launchdPlist(spec), { mode: 0o644 });
  const domain = `gui/${host.uid}`;
  // A loaded older copy must go first: bootstrap refuses a label that is already loaded.
  await host.run('launchctl', ['bootout', `${domain}/${launchdLabel(spec.name)}`]);
  const boot = await host.run('launchctl', ['bootstrap', domain, file]);
  if (boot.exitCode !== 0)
    throw new ServiceError(
      `Wrote ${file}, but ${failure('launchctl bootstrap', boot)}. Try \`launchctl bootstrap ${domain} ${file}\` after logging in to the desktop.`,
    );
  return {
    ...(await serviceStatus(spec.name, host)),
    logs: `tail -f ${join(spec.stateDir, 'logs', 'service.err.log')}`,
  };
}

/** Stops the service, removes it from login start and deletes its file. Nothing there is fine. */
export async function uninstallService(
  name: string,
  host: ServiceHost,
): Promise<{ file: string; removed: boolean }> {
  const manager = managerOf(host);
  const file = serviceFile(name, host);
  const existed = existsSync(file);
  if (manager === 'systemd') {
    if (existed) await host.run('systemctl', ['--user', 'disable', '--now', `${name}.service`]);
    rmSync(file, { force: true });
    if (existed) await host.run('systemctl', ['--user', 'daemon-reload']);
  } else {
    if (existed) await host.run('launchctl', ['bootout', `gui/${host.uid}/${launchdLabel(name)}`]);
    rmSync(file, { force: true });
  }
  return { file, removed: existed };
}

export async function serviceStatus(name: string, host: ServiceHost): Promise<ServiceStatus> {
  const manager = managerOf(host);
  const file = serviceFile(name, host);
  const installed = existsSync(file);
  const base = { name, manager, file, installed };
  if (!installed) return { ...base, state: 'not installed', detail: null };
  if (manager === 'systemd') {
    const result = await host.run('systemctl', ['--user', 'is-active', `${name}.service`]);
    const state = result.stdout.trim();
    // is-active exits 3 for inactive/failed and prints the state; anything else is a manager problem.
    if (/^[a-z-]+$/.test(state)) return { ...base, state, detail: null };
    return { ...base, state: 'unknown', detail: (result.stderr || result.stdout).trim() || null };
  }
  const result = await host.run('launchctl', ['print', `gui/${host.uid}/${launchdLabel(name)}`]);
  if (result.exitCode !== 0) return { ...base, state: 'not loaded', detail: null };
  const state = /^\s*state = (\S+)/m.exec(result.stdout)?.[1] ?? 'unknown';
  return { ...base, state, detail: null };
}

/** Whether the installed file is the one `spec` would write (an upgrade changes the CLI path). */
export function isCurrent(spec: ServiceSpec, host: ServiceHost): boolean {
  const file = serviceFile(spec.name, host);
  if (!existsSync(file)) return false;
  const expected = managerOf(host) === 'systemd' ? systemdUnit(spec) : launchdPlist(spec);
  return readFileSync(file, 'utf8') === expected;
}
