import { join } from 'node:path';
import type { JobView } from '@coord/runner-protocol';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { CLI_BIN, cliEnv, eventually, tempDir } from './helpers/cli.js';
import { api, startCliServer } from './helpers/server.js';

describe('two runners against one server', () => {
  it('never claim the same job among 50 queued jobs', async () => {
    const dir = tempDir('two-runners');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());

    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
        title: `local job ${i}`,
        instructions: 'Write one output file.',
        context: { type: 'local' },
        agent: { id: 'demo', plan: [{ type: 'write', path: 'out.txt', content: `job ${i}\n` }] },
        routing: { mode: 'any' },
      });
      expect(res.status).toBe(201);
      ids.push(res.json.job.id);
    }

    const runners = ['a', 'b'].map((name) =>
      execa(
        process.execPath,
        [
          CLI_BIN,
          'start',
          '--server',
          server.url,
          '--token-file',
          server.tokenFile,
          '--state-dir',
          join(dir.path, `runner-${name}`),
          '--name',
          `runner-${name}`,
          '--capacity',
          '2',
          '--json',
        ],
        { env, extendEnv: false, reject: false },
      ),
    );
    onCleanup(async () => {
      for (const r of runners) r.kill('SIGKILL');
    });

    await eventually(
      async () => {
        const { json } = await api<{ jobs: JobView[] }>(server, 'GET', '/v1/jobs?workspace=local');
        return json.jobs.length === 50 && json.jobs.every((j) => j.status === 'done') ? true : undefined;
      },
      120_000,
      'all 50 jobs to be done',
    );
    for (const r of runners) r.kill('SIGTERM');
    const results = await Promise.all(runners);
    for (const result of results) expect(result.exitCode, String(result.stderr)).toBe(0);

    // What each runner says it claimed: disjoint, and together every job exactly once.
    const claimedBy = results.map((result) =>
      String(result.stdout)
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { type: string; jobId?: string })
        .filter((e) => e.type === 'job.claimed')
        .map((e) => e.jobId!),
    );
    const all = claimedBy.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual([...ids].sort());

    // What the server says: one attempt per job, each with its output uploaded.
    const { json } = await api<{ jobs: JobView[] }>(server, 'GET', '/v1/jobs?workspace=local');
    for (const job of json.jobs) {
      expect(job.attempts).toHaveLength(1);
      expect(job.attempts[0]!.outputs).toEqual(['out.txt']);
    }
  });
});
