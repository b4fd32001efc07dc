import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

describe('coord-runner login, then start with nothing on the command line', () => {
  it('checks the token, saves it owner-only with the server, and start uses both', async () => {
    const dir = tempDir('login');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: join(dir.path, 'state') });

    const wrong = await runCli(['login', '--server', server.url, '--with-token'], {
      env,
      input: 'wrong-token-0000000\n',
    });
    expect(wrong.exitCode).toBe(3); // not signed in
    expect(String(wrong.stderr)).toContain('401');
    expect(String(wrong.stderr)).not.toContain('wrong-token-0000000');
    expect(existsSync(join(dir.path, 'state', 'credentials'))).toBe(false);

    const login = await runCli(['login', '--server', server.url, '--with-token'], {
      env,
      input: `${server.token}\n`,
    });
    expect(login.exitCode, String(login.all)).toBe(0);
    expect(String(login.stdout)).toContain('as local');
    expect(String(login.all)).not.toContain(server.token);
    expect(statSync(join(dir.path, 'state', 'credentials')).mode & 0o777).toBe(0o600);

    const job = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'After login',
      instructions: 'Write a file.',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'write', path: 'a.txt', content: 'a\n' }] },
    });
    const run = await runCli(['start', '--once'], { env });
    expect(run.exitCode, String(run.all)).toBe(0);
    const view = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${job.json.job.id}`);
    expect(view.json.job.status).toBe('done');

    const listed = await runCli(['jobs', 'list', '--status', 'done'], { env });
    expect(listed.exitCode, String(listed.all)).toBe(0);
    expect(String(listed.stdout)).toMatch(new RegExp(`^${job.json.job.id} +done +1 +After login$`, 'm'));
    const bad = await runCli(['jobs', 'list', '--status', 'finished'], { env });
    expect(bad.exitCode).toBe(2); // bad flag
    expect(String(bad.stderr)).toContain('--status must be one of backlog, ready');
  });

  it('says where to configure the server when none is known', async () => {
    const dir = tempDir('no-server');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: join(dir.path, 'state') });
    const run = await runCli(['start'], { env });
    expect(run.exitCode).toBe(3); // not signed in
    expect(String(run.stderr)).toContain('No Coord server: pass --server <url>');
    // Where a first run meets it: a runner started with flags, then another command without them.
    const jobs = await runCli(['jobs', 'list'], { env });
    expect(jobs.exitCode).toBe(3);
    expect(String(jobs.stderr)).toContain('Flags sign in only the command they are given to');
  });
});
