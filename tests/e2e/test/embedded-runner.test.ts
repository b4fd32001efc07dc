import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobView } from '@coord/runner-protocol';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, tempDir } from './helpers/cli.js';
import { api, startCliServer } from './helpers/server.js';

const EXAMPLE = fileURLToPath(new URL('../examples/embedded-runner.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));

describe('the embedding example (README: "Use it from your own tooling")', () => {
  it('runs a repository job to a pull request and a local job to its outputs, then drains on SIGINT', async () => {
    const dir = tempDir('embedded');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    const repo = await api<{ clone_url: string; owner: { login: string }; name: string }>(
      server,
      'POST',
      '/forge/api/user/repos',
      { name: 'embedded-app', auto_init: true },
    );
    expect(repo.status).toBe(201);
    const submit = async (job: object) =>
      (await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', job)).json.job.id;
    const repoJob = await submit({
      title: 'Add a hello file',
      instructions: 'Write hello.txt.',
      context: {
        type: 'repository',
        repository: { cloneUrl: repo.json.clone_url, owner: repo.json.owner.login, name: repo.json.name },
      },
      agent: { id: 'demo', plan: [{ type: 'write', path: 'hello.txt', content: 'hello\n' }] },
    });
    const localJob = await submit({
      title: 'Write a report',
      instructions: 'Write report.md.',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'write', path: 'report.md', content: '# Report\n' }] },
    });

    const example = execa(process.execPath, [TSX, EXAMPLE, join(dir.path, 'runner-state')], {
      env: { ...env, COORD_SERVER: server.url, COORD_TOKEN_FILE: server.tokenFile },
      extendEnv: false,
      reject: false,
      all: true,
    });
    onCleanup(() => {
      example.kill('SIGKILL');
    });
    const statusOf = async (id: string) =>
      (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${id}`)).json.job;
    const reviewed = await eventually(
      async () => {
        const job = await statusOf(repoJob);
        return job.status === 'awaiting_review' ? job : undefined;
      },
      60_000,
      'the repository job to await review',
    );
    const done = await eventually(
      async () => {
        const job = await statusOf(localJob);
        return job.status === 'done' ? job : undefined;
      },
      30_000,
      'the local job to be done',
    );
    example.kill('SIGINT');
    const result = await example;

    const pr = reviewed.attempts.at(-1)!.pullRequest!;
    expect(pr.url).toContain('/pull/');
    expect(done.attempts.at(-1)!.outputs).toEqual(['report.md']);
    const output = String(result.all);
    expect(result.exitCode, output).toBe(0);
    expect(output).toContain(`finished ${repoJob}: succeeded ${pr.url}`);
    expect(output).toContain(`finished ${localJob}: succeeded report.md`);
    expect(output.trim().split('\n').at(-1)).toBe('stopped');
    expect(output).not.toContain(server.token);
  }, 120_000);
});
