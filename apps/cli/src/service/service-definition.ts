import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** What a service runs: `node <cli> start --json --state-dir <dir>`, with the PATH agents need. */
export interface ServiceSpec {
  /** Unit / label name: one service per state dir (see serviceName). */
  name: string;
  node: string;
  cliScript: string;
  stateDir: string;
  /** The PATH at install time: a service manager's own is too bare to find the agent CLIs. */
  path: string;
}

/**
 * `coord-runner` for the default state dir; `coord-runner-<hash>` for any other, so that several
 * runners (accounts, test setups) can be services side by side.
 */
export function serviceName(stateDir: string, defaultStateDir: string): string {
  if (stateDir === defaultStateDir) return 'coord-runner';
  return `coord-runner-${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}`;
}

/** The variables file a systemd unit reads: API keys for the agents, owner-only, never in the unit. */
export function serviceEnvFile(stateDir: string): string {
  return join(stateDir, 'service.env');
}

/** systemd quotes: a word in double quotes, with `\`, `"` escaped and `%` (specifiers) doubled. */
function systemdWord(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/**
 * A systemd user unit. `Restart=on-failure`: a crash or a kill restarts it, `coord-runner stop`
 * (exit 0) does not. `systemctl stop` stops gracefully through the control socket (agents save
 * their session, jobs are requeued); SIGINT follows, SIGKILL only after `TimeoutStopSec`.
 * No secret is written here: the token stays in the state dir's credentials, agent keys in the
 * optional owner-only environment file.
 */
export function systemdUnit(spec: ServiceSpec): string {
  const exec = [spec.node, spec.cliScript, 'start', '--json', '--state-dir', spec.stateDir].map(systemdWord);
  const stop = [spec.node, spec.cliScript, 'stop', '--state-dir', spec.stateDir].map(systemdWord);
  return [
    '[Unit]',
    'Description=Coord Runner (agentic jobs)',
    'Documentation=https://github.com/coord/runner#readme',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec.join(' ')}`,
    `ExecStop=${stop.join(' ')}`,
    `Environment=${systemdWord(`PATH=${spec.path}`)}`,
    `EnvironmentFile=-${serviceEnvFile(spec.stateDir).replace(/%/g, '%%')}`,
    'Restart=on-failure',
    'RestartSec=5',
    'KillSignal=SIGINT',
    'TimeoutStopSec=60',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The launchd label of a service (reverse DNS, as launchd expects). */
export function launchdLabel(name: string): string {
  return `dev.coord.${name}`;
}

/**
 * A launchd agent: started at login, restarted when it exits with a failure (`KeepAlive`
 * `SuccessfulExit false`), output to the state dir's logs.
 */
export function launchdPlist(spec: ServiceSpec): string {
  const args = [spec.node, spec.cliScript, 'start', '--json', '--state-dir', spec.stateDir];
  const logs = join(spec.stateDir, 'logs');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key><string>${xml(launchdLabel(spec.name))}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...args.map((a) => `    <string>${xml(a)}</string>`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    `  <dict><key>PATH</key><string>${xml(spec.path)}</string></dict>`,
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>',
    '  <key>ThrottleInterval</key><integer>5</integer>',
    '  <key>ExitTimeOut</key><integer>60</integer>',
    `  <key>StandardOutPath</key><string>${xml(join(logs, 'service.out.log'))}</string>`,
    `  <key>StandardErrorPath</key><string>${xml(join(logs, 'service.err.log'))}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
