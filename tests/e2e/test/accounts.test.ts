import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { statusSnapshotSchema } from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

const localJob = (title: string) => ({
  title,
  instructions: 'Write a file.',
  context: { type: 'local' },
  agent: { id: 'demo', plan: [{ type: 'write', path: 'out.txt', content: `${title}\n` }] },
});

describe('several accounts side by side (login --account)', () => {
  it(
    'one runner serves the first account and an added one on another server at once',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir('accounts');
      onCleanup(dir.cleanup);
      const first = await startLocalServer({ dataDir: join(dir.path, 'first') });
      onCleanup(() => first.close());
      const second = await startLocalServer({ dataDir: join(dir.path, 'second') });
      onCleanup(() => second.close());
      const stateDir = join(dir.path, 'state');
      const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: stateDir });
      const cli = (args: string[], input?: string) =>
        runCli(args, { env, timeoutMs: 30_000, ...(input ? { input } : {}) });

      expect((await cli(['login', '--server', first.url, '--with-token'], `${first.token}\n`)).exitCode).toBe(
        0,
      );
      const needsServer = await cli(['login', '--account', 'work', '--with-token'], `${second.token}\n`);
      expect(needsServer.exitCode).toBe(2);
      expect(String(needsServer.stderr)).toContain('needs its server');
      const badName = await cli(
        ['login', '--account', '../x', '--server', second.url, '--with-token'],
        'x\n',
      );
      expect(badName.exitCode).toBe(2);
      const added = await cli(
        ['login', '--account', 'work', '--server', second.url, '--with-token'],
        `${second.token}\n`,
      );
      expect(added.exitCode, String(added.all)).toBe(0);
      expect(String(added.stdout)).toContain('account "work"');
      expect(String(added.all)).not.toContain(second.token);
      const tokenFile = join(stateDir, 'accounts', 'work', 'credentials');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      // The shareable config names the account's server, never its token.
      const config = readFileSync(join(stateDir, 'config.json'), 'utf8');
      expect(JSON.parse(config).accounts).toEqual({ work: { server: second.url } });
      expect(config).not.toContain(second.token);

      const whoami = await cli(['whoami', '--json']);
      expect(whoami.exitCode, String(whoami.all)).toBe(0);
      const me = JSON.parse(String(whoami.stdout));
      expect(me).toMatchObject({ server: first.url, accounts: [{ name: 'work', server: second.url }] });
      expect((await cli(['whoami', '--account', 'work'])).stdout).toContain(
        `on ${second.url} (account "work")`,
      );

      const onFirst = await api<{ job: JobView }>(
        first,
        'POST',
        '/v1/workspaces/local/jobs',
        localJob('on the first'),
      );
      const onSecond = await api<{ job: JobView }>(
        second,
        'POST',
        '/v1/workspaces/local/jobs',
        localJob('on the second'),
      );
      const runner = startCli(['start', '--json', '--capacity', '2'], env);
      onCleanup(async () => {
        runner.child.kill('SIGKILL');
        await runner.child;
      });
      for (const [server, id] of [
        [first, onFirst.json.job.id],
        [second, onSecond.json.job.id],
      ] as const)
        await eventually(
          async () =>
            (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${id}`)).json.job.status === 'done'
              ? true
              : undefined,
          60_000,
          `job ${id} to be done`,
        );

      const status = statusSnapshotSchema.parse(JSON.parse(String((await cli(['status', '--json'])).stdout)));
      expect(status.connections.map((c) => [c.name, c.server, c.status])).toEqual([
        ['default', first.url, 'idle'],
        ['work', second.url, 'idle'],
      ]);
      expect(status.capacity).toBe(2);
      const history = await cli(['history', '--json']);
      expect(String(history.stdout)).toContain('on the first');
      expect(String(history.stdout)).toContain('on the second');
      // Each connection's events say which one they are about.
      expect(runner.output()).toMatch(/"connection":"work"/);

      expect((await cli(['stop'])).exitCode).toBe(0);
      expect((await runner.child).exitCode).toBe(0);

      const logout = await cli(['logout', '--account', 'work']);
      expect(logout.exitCode, String(logout.all)).toBe(0);
      expect(JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8')).accounts).toEqual({});
      const gone = await cli(['whoami', '--account', 'work']);
      expect(gone.exitCode).toBe(3);
    },
  );

  it('whoami answers for added accounts alone, without a first one', { timeout: 60_000 }, async () => {
    const dir = tempDir('accounts-only');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: join(dir.path, 'state') });
    const cli = (args: string[], input?: string) =>
      runCli(args, { env, timeoutMs: 30_000, ...(input ? { input } : {}) });

    const none = await cli(['whoami']);
    expect(none.exitCode).toBe(3);
    expect(String(none.stderr)).toContain('No Coord server');
    const added = await cli(
      ['login', '--account', 'work', '--server', server.url, '--with-token'],
      `${server.token}\n`,
    );
    expect(added.exitCode, String(added.all)).toBe(0);

    const whoami = await cli(['whoami']);
    expect(whoami.exitCode, String(whoami.all)).toBe(0);
    expect(String(whoami.stdout).trim().split('\n')).toEqual([
      expect.stringContaining(`on ${server.url} (account "work")`),
    ]);
    const json = JSON.parse(String((await cli(['whoami', '--json'])).stdout));
    expect(json).toEqual({ accounts: [expect.objectContaining({ name: 'work', server: server.url })] });
    // Asked for the first account by a flag, it still says what is missing.
    expect((await cli(['whoami', '--server', server.url])).exitCode).toBe(3);
  });
});
