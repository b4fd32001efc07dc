import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

describe('coord-runner jobs rerun', () => {
  it('submits a cancelled job again as a new Ready job with the same spec; an unknown id exits 6, as show does', async () => {
    const dir = tempDir('rerun');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const env = cliEnv(join(dir.path, 'home'));
    const connection = ['--server', server.url, '--token-file', join(dir.path, 'server', 'token')];
    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Try me twice',
      instructions: 'Write notes.md',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
      maxAttempts: 2,
    });
    const original = submitted.json.job;
    expect((await api(server, 'POST', `/v1/jobs/${original.id}/cancel`, {})).status).toBe(200);

    const rerun = await runCli(['jobs', 'rerun', original.id, ...connection], { env });
    expect(rerun.exitCode, String(rerun.all)).toBe(0);
    const answer = JSON.parse(String(rerun.stdout)) as { id: string; status: string; rerunOf: string };
    expect(answer).toMatchObject({ status: 'ready', rerunOf: original.id });
    expect(answer.id).not.toBe(original.id);
    const copy = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${answer.id}`)).json.job;
    expect(copy.spec).toEqual(original.spec);
    expect(copy.attempts).toEqual([]);
    const after = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${original.id}`)).json.job;
    expect(after.status).toBe('cancelled');

    const unknown = await runCli(['jobs', 'rerun', 'job_nope', ...connection], { env });
    expect(unknown.exitCode, String(unknown.all)).toBe(6);
    expect(String(unknown.stderr)).toContain('No job job_nope');
    expect((await runCli(['jobs', 'show', 'job_nope', ...connection], { env })).exitCode).toBe(6);
  }, 60_000);
});
