import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { doctorCheckSchema } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';

describe('coord-runner doctor', () => {
  it('checks the sign-in against a real server and names a next step for each problem', async () => {
    const dir = tempDir('doctor');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const stateDir = join(dir.path, 'state');
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: stateDir });
    const doctor = async (args: string[]) => {
      const res = await runCli(['doctor', '--json', ...args], { env, timeoutMs: 60_000 });
      return {
        exitCode: res.exitCode,
        checks: doctorCheckSchema.array().parse(JSON.parse(String(res.stdout))),
      };
    };

    const login = await runCli(['login', '--server', server.url, '--with-token'], {
      env,
      input: server.token,
    });
    expect(login.exitCode, String(login.all)).toBe(0);
    const signedIn = await doctor([]);
    expect(signedIn.checks.find((c) => c.check === 'server')).toMatchObject({
      status: 'ok',
      detail: `${server.url}: signed in as local`,
    });
    expect(signedIn.checks.find((c) => c.check === 'git')?.status).toBe('ok');
    expect(signedIn.checks.find((c) => c.check === 'runner')).toMatchObject({ detail: 'not running' });
    for (const check of signedIn.checks.filter((c) => c.status !== 'ok')) expect(check.next).toBeTruthy();

    // A token others can read, and a token the server refuses: both are failures with a fix.
    chmodSync(join(stateDir, 'credentials'), 0o644);
    const exposed = await doctor([]);
    expect(exposed.exitCode).toBe(1);
    expect(exposed.checks.find((c) => c.check === 'secrets')).toMatchObject({
      status: 'fail',
      next: `chmod 600 ${join(stateDir, 'credentials')}`,
    });
    const wrong = join(dir.path, 'wrong-token');
    writeFileSync(wrong, 'not-the-token-0000000\n', { mode: 0o600 });
    const refused = await doctor(['--token-file', wrong]);
    expect(refused.checks.find((c) => c.check === 'server')).toMatchObject({
      status: 'fail',
      next: expect.stringContaining('coord-runner login'),
    });
  }, 90_000);
});
