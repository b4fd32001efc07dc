import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

interface AgentRow {
  id: string;
  state: string;
  version: string | null;
  enabledHere: boolean;
  path?: string | null;
  hint?: string;
}

describe('coord-runner agents', () => {
  it('lists what this machine has, with install hints, and a disabled agent is never given a job', async () => {
    const dir = tempDir('agents');
    onCleanup(dir.cleanup);
    // No agent CLI on this PATH: only node and git.
    const env = cliEnv(join(dir.path, 'home'), { PATH: '/usr/local/bin:/usr/bin:/bin' });
    const stateDir = ['--state-dir', join(dir.path, 'runner')];

    const listed = await runCli(['agents', '--json', ...stateDir], { env });
    expect(listed.exitCode, String(listed.all)).toBe(0);
    const rows = JSON.parse(String(listed.stdout)) as AgentRow[];
    expect(rows.find((r) => r.id === 'demo')).toMatchObject({ state: 'detected', enabledHere: true });
    expect(rows.find((r) => r.id === 'claude-code')).toMatchObject({
      state: 'not_found',
      hint: expect.stringContaining('npm install -g @anthropic-ai/claude-code'),
    });
    expect(rows.find((r) => r.id === 'codex')?.state).toBe('not_found');

    const off = await runCli(['agents', 'disable', 'demo', ...stateDir], { env });
    expect(off.exitCode, String(off.all)).toBe(0);
    const table = String((await runCli(['agents', ...stateDir], { env })).stdout);
    expect(table).toMatch(/demo\s+Detected\s+\S+\s+disabled/);
    const bad = await runCli(['agents', 'enable', 'nonsense', ...stateDir], { env });
    expect(bad.exitCode).toBe(1);
    expect(String(bad.stderr)).toContain('"nonsense" is not an agent id');

    // A runner started with demo switched off takes no demo job, and the job says why.
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const connection = ['--server', server.url, '--token-file', join(dir.path, 'server', 'token')];
    const runner = startCli(['start', ...connection, ...stateDir, '--name', 'laptop'], env);
    onCleanup(() => void runner.child.kill('SIGKILL'));
    await eventually(() => (server.parkedClaims() > 0 ? true : undefined), 20_000, 'the runner to wait');
    const job = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'A demo job',
      instructions: 'x',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
    });
    await eventually(() => (server.parkedClaims() > 0 ? true : undefined), 20_000, 'another claim');
    const view = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${job.json.job.id}`)).json.job;
    expect(view.status).toBe('ready');
    expect(view.waiting?.message).toContain('"laptop": disabled');

    // Switched back on, the next start takes it.
    runner.child.kill('SIGINT');
    await runner.child;
    expect((await runCli(['agents', 'enable', 'demo', ...stateDir], { env })).exitCode).toBe(0);
    const again = await runCli(['start', '--once', ...connection, ...stateDir], { env, timeoutMs: 60_000 });
    expect(again.exitCode, String(again.all)).toBe(0);
    expect((await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${job.json.job.id}`)).json.job.status).toBe(
      'done',
    );
  });
});
