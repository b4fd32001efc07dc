import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { approveInBrowser } from './helpers/device-sign-in.js';
import { startCliServer } from './helpers/server.js';

describe('coord-runner login with a device code', () => {
  it('shows a code, waits for the approval in the web app, saves a token; whoami and logout work', async () => {
    const dir = tempDir('device-login');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    const stateDir = join(dir.path, 'runner');

    const login = startCli(['login', '--server', server.url, '--state-dir', stateDir], env, { stderr: true });
    onCleanup(() => void login.child.kill('SIGKILL'));
    const url = await eventually(
      () => /open\n\s+(\S+\/device\?code=\S+)/.exec(login.output())?.[1],
      20_000,
      'the code',
    );
    const code = /shows the code (\S{4}-\S{4})/.exec(login.output())![1]!;
    expect(url).toBe(`${server.url}/device?code=${code}`);
    expect(await approveInBrowser(server, url, 'approve')).toEqual({ approved: true });
    const result = await login.child;
    expect(result.exitCode, login.output()).toBe(0);
    expect(login.output()).toContain('Logged in to');
    expect(existsSync(join(stateDir, 'credentials'))).toBe(true);
    // The new token is nowhere in what was printed.
    expect(login.output()).not.toMatch(/coord_[A-Za-z0-9_-]{40,}/);

    const whoami = await runCli(['whoami', '--state-dir', stateDir, '--json'], { env });
    expect(whoami.exitCode, String(whoami.all)).toBe(0);
    expect(JSON.parse(String(whoami.stdout))).toMatchObject({
      server: server.url,
      account: { name: 'local' },
    });

    const logout = await runCli(['logout', '--state-dir', stateDir], { env });
    expect(String(logout.stdout)).toContain('revoked on the server');
    expect(existsSync(join(stateDir, 'credentials'))).toBe(false);
    const after = await runCli(['whoami', '--state-dir', stateDir], { env });
    expect(after.exitCode).not.toBe(0);
    expect(String(after.all)).toContain('No Coord token');
  }, 60_000);

  it('ends with a clear message when the sign-in is denied', async () => {
    const dir = tempDir('device-denied');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    const login = startCli(['login', '--server', server.url, '--state-dir', join(dir.path, 'runner')], env, {
      stderr: true,
    });
    onCleanup(() => void login.child.kill('SIGKILL'));
    const url = await eventually(
      () => /open\n\s+(\S+\/device\?code=\S+)/.exec(login.output())?.[1],
      20_000,
      'the code',
    );
    expect(await approveInBrowser(server, url, 'deny')).toEqual({ approved: false });
    const result = await login.child;
    expect(result.exitCode).not.toBe(0);
    expect(login.output()).toContain('The sign-in was denied in the web app.');
  }, 60_000);
});
