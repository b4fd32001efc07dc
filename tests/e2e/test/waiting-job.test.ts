import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { RunnerEventOf } from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { startTestRunner } from './helpers/runner.js';
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

describe('a runner that stops taking jobs', () => {
  it('draining is not free: a Ready job says so; once stopped, the runner is offline at once', async () => {
    const dir = tempDir('draining');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const { runner, events } = await startTestRunner(server, dir.path, 'laptop', { capacity: 2 });
    const submit = (title: string, plan: unknown[]) =>
      api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
        title,
        instructions: 'x',
        context: { type: 'local' },
        agent: { id: 'demo', plan },
        routing: { mode: 'mine' },
      });
    const waitingOf = async (id: string) =>
      (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${id}`)).json.job.waiting;

    // One job runs (it waits on a question); the runner has a slot left.
    await submit('Asks first', [{ type: 'ask', id: 'name', question: 'Which name?' }]);
    const asked = await firstValueFrom(
      events.pipe(
        filter((e): e is RunnerEventOf<'interaction.requested'> => e.type === 'interaction.requested'),
      ),
    );
    const stopped = runner.stop({ mode: 'drain' });
    // Once the server has its word (and its parked claim is gone), a new job is not handed to it.
    const drainingAt = server.store.db.prepare('SELECT draining_at FROM runners');
    await eventually(async () => {
      const row = drainingAt.get() as { draining_at: number | null };
      return row.draining_at !== null && server.parkedClaims() === 0 ? true : undefined;
    }, 10_000);
    const second = (await submit('Comes after', [{ type: 'say', text: 'hi' }])).json.job.id;
    const draining = await eventually(async () => {
      const waiting = await waitingOf(second);
      return waiting?.code === 'runners_busy' ? waiting : undefined;
    }, 10_000);
    expect(draining.message).toContain('busy or draining ("laptop": draining)');

    // The running job finishes; the drained runner stops and is offline from then on.
    const answered = await api(server, 'POST', `/v1/interactions/${asked.interactionId}/answer`, {
      answer: { kind: 'question', answers: { name: ['Coord'] } },
      by: 'web',
    });
    expect(answered.status).toBe(200);
    await stopped;
    expect(await waitingOf(second)).toMatchObject({ code: 'runner_offline' });
  });
});
