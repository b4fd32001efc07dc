import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from './service-definition.js';
import {
  installService,
  isCurrent,
  serviceStatus,
  uninstallService,
  type CommandResult,
  type ServiceHost,
} from './service-manager.js';

type Answer = Partial<CommandResult> | ((args: readonly string[]) => Partial<CommandResult>);

/** A host whose service manager answers from a script and records every call. */
function fakeHost(platform: NodeJS.Platform, answers: Record<string, Answer> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'svc-home-'));
  const calls: string[] = [];
  const host: ServiceHost = {
    platform,
    home,
    uid: 501,
    run: async (file, args) => {
      const call = [file, ...args].join(' ');
      calls.push(call);
      const key = Object.keys(answers).find((k) => call.startsWith(k));
      const answer = key ? answers[key]! : {};
      const result = typeof answer === 'function' ? answer(args) : answer;
      return { exitCode: 0, stdout: '', stderr: '', ...result };
    },
  };
  return { host, calls, home };
}

function spec(home: string): ServiceSpec {
  return {
    name: 'coord-runner',
    node: '/usr/bin/node',
    cliScript: '/opt/cr/bin.js',
    stateDir: join(home, 'state'),
    path: '/usr/bin',
  };
}

describe('service manager on Linux (systemd user units)', () => {
  it('writes the unit under ~/.config/systemd/user, reloads, enables and starts it', async () => {
    const { host, calls, home } = fakeHost('linux', { 'systemctl --user is-active': { stdout: 'active\n' } });
    const installed = await installService(spec(home), host);
    const file = join(home, '.config', 'systemd', 'user', 'coord-runner.service');
    expect(installed).toMatchObject({ manager: 'systemd', file, installed: true, state: 'active' });
    expect(installed.logs).toBe('journalctl --user -u coord-runner.service -f');
    expect(readFileSync(file, 'utf8')).toContain('ExecStart="/usr/bin/node" "/opt/cr/bin.js" "start"');
    expect(calls).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable --now coord-runner.service',
      'systemctl --user is-active coord-runner.service',
    ]);
    expect(isCurrent(spec(home), host)).toBe(true);
    expect(isCurrent({ ...spec(home), cliScript: '/opt/cr-2/bin.js' }, host)).toBe(false);
  });

  it('honours XDG_CONFIG_HOME', async () => {
    const { host, home } = fakeHost('linux');
    host.configHome = join(home, 'cfg');
    expect((await installService(spec(home), host)).file).toBe(
      join(home, 'cfg', 'systemd', 'user', 'coord-runner.service'),
    );
  });

  it('keeps the unit and says what to run when there is no user session bus', async () => {
    const { host, home } = fakeHost('linux', {
      'systemctl --user daemon-reload': {
        exitCode: 1,
        stderr: 'Failed to connect to bus: No medium found\n',
      },
    });
    await expect(installService(spec(home), host)).rejects.toThrow(
      /Failed to connect to bus.*loginctl enable-linger \$USER.*systemctl --user enable --now coord-runner\.service/,
    );
    expect(existsSync(join(home, '.config', 'systemd', 'user', 'coord-runner.service'))).toBe(true);
  });

  it('reports inactive and failed states, and a manager it cannot ask', async () => {
    const { host, home } = fakeHost('linux', {
      'systemctl --user is-active': { exitCode: 3, stdout: 'failed\n' },
    });
    await expect(serviceStatus('coord-runner', host)).resolves.toMatchObject({
      installed: false,
      state: 'not installed',
    });
    await installService(spec(home), host);
    await expect(serviceStatus('coord-runner', host)).resolves.toMatchObject({
      installed: true,
      state: 'failed',
    });
    const noBus = fakeHost('linux', {
      'systemctl --user is-active': { exitCode: 1, stderr: 'Failed to connect to bus' },
    });
    await installService(spec(noBus.home), {
      ...noBus.host,
      run: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    });
    await expect(serviceStatus('coord-runner', noBus.host)).resolves.toMatchObject({
      state: 'unknown',
      detail: 'Failed to connect to bus',
    });
  });

  it('uninstalls: stops, disables and deletes; nothing installed is fine', async () => {
    const { host, calls, home } = fakeHost('linux');
    await installService(spec(home), host);
    calls.length = 0;
    const removed = await uninstallService('coord-runner', host);
    expect(removed.removed).toBe(true);
    expect(existsSync(removed.file)).toBe(false);
    expect(calls).toEqual([
      'systemctl --user disable --now coord-runner.service',
      'systemctl --user daemon-reload',
    ]);
    calls.length = 0;
    expect((await uninstallService('coord-runner', host)).removed).toBe(false);
    expect(calls).toEqual([]);
  });
});

describe('service manager on macOS (launchd agents)', () => {
  it('writes the agent, replaces a loaded copy and bootstraps it in the GUI domain', async () => {
    const { host, calls, home } = fakeHost('darwin', {
      'launchctl bootout': { exitCode: 3, stderr: 'Boot-out failed: 3: No such process' },
      'launchctl print': { stdout: 'gui/501/dev.coord.coord-runner = {\n\tstate = running\n}' },
    });
    const installed = await installService(spec(home), host);
    const file = join(home, 'Library', 'LaunchAgents', 'dev.coord.coord-runner.plist');
    expect(installed).toMatchObject({ manager: 'launchd', file, state: 'running' });
    expect(existsSync(join(home, 'state', 'logs'))).toBe(true);
    expect(calls).toEqual([
      'launchctl bootout gui/501/dev.coord.coord-runner',
      `launchctl bootstrap gui/501 ${file}`,
      'launchctl print gui/501/dev.coord.coord-runner',
    ]);
  });

  it('fails with the command to try when bootstrap is refused', async () => {
    const { host, home } = fakeHost('darwin', {
      'launchctl bootstrap': { exitCode: 5, stderr: 'Bootstrap failed: 5: Input/output error' },
    });
    await expect(installService(spec(home), host)).rejects.toThrow(
      /Bootstrap failed: 5.*launchctl bootstrap gui\/501/,
    );
  });
});

describe('service manager elsewhere', () => {
  it('explains what to use on Windows instead', async () => {
    const { host, home } = fakeHost('win32');
    await expect(installService(spec(home), host)).rejects.toThrow(/Task Scheduler.*NSSM/);
  });
});
