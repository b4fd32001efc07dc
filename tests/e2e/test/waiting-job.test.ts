import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

describe('a job no runner can take', () => {
  it('stays Ready while a runner without its agent runs, and jobs list and show say why', async () => {
    const dir = tempDir('waiting');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const env = cliEnv(join(dir.path, 'home'));
    const connection = ['--server', server.url, '--token-file', join(dir.path, 'server', 'token')];

    const runner = startCli(
      ['start', ...connection, '--state-dir', join(dir.path, 'runner'), '--name', 'laptop'],
      env,
    );
    onCleanup(() => void runner.child.kill('SIGKILL'));
    await eventually(() => (server.parkedClaims() > 0 ? true : undefined), 20_000, 'the runner to wait');

    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Needs an agent this machine lacks',
      instructions: 'x',
      context: { type: 'local' },
      agent: { id: 'acp:nowhere' },
      routing: { mode: 'mine' },
    });
    expect(submitted.status).toBe(201);
    const id = submitted.json.job.id;

    // The runner is asked for work again and again; the job is never handed to it.
    await eventually(() => (server.parkedClaims() > 0 ? true : undefined), 20_000, 'another claim');
    const list = await runCli(['jobs', 'list', ...connection], { env });
    expect(list.exitCode, String(list.all)).toBe(0);
    expect(String(list.stdout)).toContain(`${id}  ready`);
    expect(String(list.stdout)).toMatch(
      /waiting: Its agent "acp:nowhere" is not enabled on any online runner .*"laptop": does not know it/,
    );

    const shown = await runCli(['jobs', 'show', id, ...connection], { env });
    expect(String(shown.stdout)).toContain(`${id}  ready`);
    expect(String(shown.stdout)).toMatch(/\n {2}waiting: Its agent "acp:nowhere" is not enabled/);
    expect(String(shown.stdout)).toContain('no attempt yet');
    const show = await runCli(['jobs', 'show', id, '--json', ...connection], { env });
    const job = JSON.parse(String(show.stdout)) as JobView;
    expect(job.status).toBe('ready');
    expect(job.attempts).toEqual([]);
    expect(job.waiting?.code).toBe('agent_unavailable');
  });
});
