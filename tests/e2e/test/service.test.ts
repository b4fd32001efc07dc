import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '@coord/runner-protocol';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, tempDir } from './helpers/cli.js';
import { api, startCliServer } from './helpers/server.js';

/**
 * A `systemctl` stand-in on PATH (no user session bus in a container): it records its arguments
 * and answers `is-active` the way systemd does. The unit it is handed is real, and the test runs
 * its ExecStart line to show the service would start a working runner.
 */
function fakeSystemctl(dir: string): { bin: string; log: string } {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const log = join(dir, 'systemctl.log');
  const script = join(bin, 'systemctl');
  writeFileSync(
    script,
    `#!/bin/sh\necho "$@" >> ${JSON.stringify(log)}\ncase "$*" in *is-active*) echo active;; esac\nexit 0\n`,
  );
  chmodSync(script, 0o755);
  return { bin, log };
}

/** The words of a unit's ExecStart line, unquoted as systemd reads them. */
function execStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    m[1]!.replace(/\\(.)/g, '$1').replace(/%%/g, '%'),
  );
}

describe('coord-runner service', () => {
  it.skipIf(process.platform !== 'linux')(
    'installs a systemd user unit that starts a working runner, reports it, and uninstalls it',
    async () => {
      const dir = tempDir('service');
      onCleanup(dir.cleanup);
      const home = join(dir.path, 'home');
      const systemctl = fakeSystemctl(dir.path);
      const env = cliEnv(home, { PATH: `${systemctl.bin}:${process.env['PATH'] ?? ''}` });
      const stateDir = join(dir.path, 'runner');

      // Not signed in: nothing is installed, and the message says what to do.
      const early = await runCli(['service', 'install', '--state-dir', stateDir], { env });
      expect(early.exitCode).not.toBe(0);
      expect(String(early.all)).toContain('coord-runner login');
      expect(existsSync(systemctl.log)).toBe(false);

      const server = await startCliServer(join(dir.path, 'server'), env);
      onCleanup(() => server.stop());
      const login = await runCli(
        ['login', '--server', server.url, '--token-file', server.tokenFile, '--state-dir', stateDir],
        { env },
      );
      expect(login.exitCode, String(login.all)).toBe(0);

      const install = await runCli(['service', 'install', '--state-dir', stateDir, '--json'], { env });
      expect(install.exitCode, String(install.all)).toBe(0);
      const installed = JSON.parse(String(install.stdout)) as { name: string; file: string; state: string };
      expect(installed.name).toMatch(/^coord-runner-[0-9a-f]{8}$/);
      expect(installed.file).toBe(join(home, '.config', 'systemd', 'user', `${installed.name}.service`));
      expect(installed.state).toBe('active');
      expect(readFileSync(systemctl.log, 'utf8').trim().split('\n')).toEqual([
        '--user daemon-reload',
        `--user enable --now ${installed.name}.service`,
        `--user is-active ${installed.name}.service`,
      ]);
      const unit = readFileSync(installed.file, 'utf8');
      expect(unit).not.toContain(server.token);

      // What systemd would run: a runner that registers with the server, with no shell environment.
      const [file, ...args] = execStart(unit);
      const pathLine = /^Environment="PATH=(.*)"$/m.exec(unit)![1]!;
      const service = execa(file!, args, {
        env: { HOME: home, PATH: pathLine },
        extendEnv: false,
        reject: false,
      });
      onCleanup(() => void service.kill('SIGKILL'));
      const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
        title: 'Run as a service',
        instructions: 'Say hello.',
        context: { type: 'local' },
        agent: { id: 'demo', plan: [{ type: 'say', text: 'hello from the service' }] },
        routing: { mode: 'any' },
      });
      await eventually(
        async () => {
          const job = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${submitted.json.job.id}`);
          return job.json.job.status === 'done' ? true : undefined;
        },
        30_000,
        'the service runner to finish the job',
      );
      service.kill('SIGINT');
      await service;

      const status = await runCli(['service', 'status', '--state-dir', stateDir, '--json'], { env });
      expect(JSON.parse(String(status.stdout))).toMatchObject({
        installed: true,
        state: 'active',
        current: true,
      });

      const uninstall = await runCli(['service', 'uninstall', '--state-dir', stateDir], { env });
      expect(uninstall.exitCode, String(uninstall.all)).toBe(0);
      expect(existsSync(installed.file)).toBe(false);
      expect(readFileSync(systemctl.log, 'utf8')).toContain(`--user disable --now ${installed.name}.service`);
    },
  );
});
