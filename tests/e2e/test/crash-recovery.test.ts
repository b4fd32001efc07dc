import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { AttemptEvent, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { cliEnv, eventually, processGone, runCli, startCli, tempDir } from './helpers/cli.js';
import { onCleanup } from './helpers/cleanup.js';
import { longRunningJob } from './helpers/jobs.js';
import { api } from './helpers/server.js';

describe('a runner killed in the middle of a job', () => {
  it('started again after its lease expired: the job, held for it in the affinity window, runs as attempt 2 resuming the session', async () => {
    const dir = tempDir('crash');
    onCleanup(dir.cleanup);
    // A short lease, so that it expires while the runner is down; the affinity window is the default.
    const server = await startLocalServer({
      dataDir: join(dir.path, 'server'),
      timings: { leaseTtlMs: 1_500, leaseRenewMs: 300, sweepIntervalMs: 50 },
    });
    onCleanup(() => server.close());
    const env = cliEnv(join(dir.path, 'home'));
    const args = [
      'start',
      '--server',
      server.url,
      '--token-file',
      join(dir.path, 'server', 'token'),
      '--state-dir',
      join(dir.path, 'runner'),
      '--json',
    ];

    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Survive a crash',
      instructions: 'Print, wait a little, write a file.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          {
            type: 'run',
            command: [process.execPath, '-e', 'console.log("working"); setTimeout(() => {}, 3000)'],
          },
          { type: 'write', path: 'result.txt', content: 'done\n' },
        ],
      },
    });
    const jobId = submitted.json.job.id;
    const job = async () => (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;

    const first = startCli(args, env);
    onCleanup(() => void first.child.kill('SIGKILL'));
    // Working, and the server knows the agent's session (so the next attempt can resume it).
    const sessionId = await eventually(
      async () =>
        first.output().includes('"working') ? ((await job()).attempts[0]?.sessionId ?? undefined) : undefined,
      20_000,
      'the agent to start working',
    );
    first.child.kill('SIGKILL');
    await first.child;
    await eventually(
      async () => ((await job()).attempts[0]?.status === 'lost' ? true : undefined),
      10_000,
      'the lease to expire',
    );

    // The same runner (same state dir) starts again: the server will not give attempt 1 back, and
    // the job, held for this runner, runs again as attempt 2.
    const second = await runCli([...args, '--once'], { env });
    expect(second.exitCode, String(second.all)).toBe(0);

    const view = await job();
    expect(view.status).toBe('done');
    expect(view.attempts.map((a) => [a.number, a.status])).toEqual([
      [1, 'lost'],
      [2, 'succeeded'],
    ]);
    expect(view.attempts[1]!.runnerId).toBe(view.attempts[0]!.runnerId);
    const page = await api<{ events: AttemptEvent[] }>(
      server,
      'GET',
      `/v1/attempts/${view.attempts[1]!.id}/events?limit=1000`,
    );
    const seqs = page.json.events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const started = page.json.events.find(
      (e) =>
        e.type === 'job.agent' && (e.data as { event: { type: string } }).event.type === 'session.started',
    );
    expect((started!.data as { event: unknown }).event).toMatchObject({ sessionId, resumed: true });
  });

  it('takes its agent down with it: no orphan keeps working after a kill -9', async () => {
    const dir = tempDir('orphan');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const env = cliEnv(join(dir.path, 'home'));
    await api(server, 'POST', '/v1/workspaces/local/jobs', longRunningJob('Run for a minute'));
    const runner = startCli(
      [
        'start',
        '--server',
        server.url,
        '--token-file',
        join(dir.path, 'server', 'token'),
        '--state-dir',
        join(dir.path, 'runner'),
        '--json',
      ],
      env,
    );
    onCleanup(() => void runner.child.kill('SIGKILL'));
    const pid = Number(
      await eventually(() => /pid (\d+)/.exec(runner.output())?.[1], 20_000, 'the agent command to start'),
    );
    runner.child.kill('SIGKILL');
    await runner.child;

    await processGone(pid);
  });

  it.skipIf(process.platform !== 'linux')(
    'takes down what the agent started outside its process group too (a setsid daemon) after a kill -9',
    async () => {
      const dir = tempDir('escaped');
      onCleanup(dir.cleanup);
      const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
      onCleanup(() => server.close());
      // A dev server the agent's command started in its own session, as `setsid` or a daemon does.
      const daemonScript = [
        "const { spawn } = require('node:child_process');",
        "const d = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });",
        "d.unref(); console.log('daemon', d.pid); setTimeout(() => {}, 60000);",
      ].join(' ');
      await api(
        server,
        'POST',
        '/v1/workspaces/local/jobs',
        longRunningJob('Start a dev server', {
          agent: { id: 'demo', plan: [{ type: 'run', command: [process.execPath, '-e', daemonScript] }] },
        }),
      );
      const runner = startCli(
        [
          'start',
          '--server',
          server.url,
          '--token-file',
          join(dir.path, 'server', 'token'),
          '--state-dir',
          join(dir.path, 'runner'),
          '--json',
        ],
        cliEnv(join(dir.path, 'home')),
      );
      onCleanup(() => void runner.child.kill('SIGKILL'));
      const daemon = Number(
        await eventually(() => /daemon (\d+)/.exec(runner.output())?.[1], 20_000, 'the daemon to start'),
      );
      onCleanup(() => {
        try {
          process.kill(daemon, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      });
      runner.child.kill('SIGKILL');
      await runner.child;

      await processGone(daemon);
    },
  );
});
