import { existsSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import {
  activeAttemptSchema,
  controlAnswerSchemas,
  historyPageSchema,
  statusSnapshotSchema,
} from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, processGone, runCli, startCli, tempDir } from './helpers/cli.js';
import { longRunningJob } from './helpers/jobs.js';
import { api } from './helpers/server.js';

async function setup(name: string) {
  const dir = tempDir(name);
  onCleanup(dir.cleanup);
  const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
  onCleanup(() => server.close());
  const tokenFile = join(dir.path, 'token');
  writeFileSync(tokenFile, `${server.token}\n`, { mode: 0o600 });
  const stateDir = join(dir.path, 'state');
  const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: stateDir });
  const cli = (args: string[]) => runCli(args, { env, timeoutMs: 30_000 });
  const startRunner = () => {
    const runner = startCli(['start', '--server', server.url, '--token-file', tokenFile, '--json'], env);
    onCleanup(async () => {
      runner.child.kill('SIGKILL');
      await runner.child;
    });
    return runner;
  };
  /** `status --json` once the runner answers and is registered. */
  const runningStatus = () =>
    eventually(
      async () => {
        const res = await cli(['status', '--json']);
        if (res.exitCode !== 0) return undefined;
        const status = statusSnapshotSchema.parse(JSON.parse(String(res.stdout)));
        return status.connections[0]?.status === 'starting' ? undefined : status;
      },
      20_000,
      'the runner to answer `status`',
    );
  return { dir, server, tokenFile, stateDir, env, cli, startRunner, runningStatus };
}

const askingJob = {
  title: 'Write a greeting',
  instructions: 'Greet.',
  context: { type: 'local' },
  routing: { mode: 'any' },
  agent: {
    id: 'demo',
    plan: [
      { type: 'say', text: 'about to write' },
      { type: 'write', path: 'greeting.txt', content: 'hello\n', ask: true },
    ],
  },
};

describe('coord-runner status, jobs, logs, approve, history and stop against a running runner', () => {
  it('shows a waiting approval, approves it from another process, and keeps the history', async () => {
    const { server, stateDir, env, cli, startRunner, runningStatus } = await setup('control');
    const runner = startRunner();
    const idle = await runningStatus();
    expect(idle).toMatchObject({ capacity: 1, active: [], waiting: [], stateDir });
    expect(idle.connections).toEqual([expect.objectContaining({ server: server.url, status: 'idle' })]);
    // Only its owner may talk to the runner.
    expect(statSync(join(stateDir, 'control')).mode & 0o777).toBe(0o700);
    expect(statSync(join(stateDir, 'control', 'runner.sock')).mode & 0o777).toBe(0o600);

    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', askingJob);
    const jobId = submitted.json.job.id;
    const waiting = await eventually(
      async () => {
        const status = await runningStatus();
        return status.waiting.length ? status : undefined;
      },
      30_000,
      'the approval to wait',
    );
    expect(waiting.active).toEqual([
      expect.objectContaining({ jobId, agent: 'demo', state: 'awaiting_input', title: 'Write a greeting' }),
    ]);
    const interaction = waiting.waiting[0]!;
    expect(interaction.request).toMatchObject({ kind: 'approval', toolName: 'write' });

    const jobs = await cli(['jobs', '--json']);
    expect(jobs.exitCode, String(jobs.all)).toBe(0);
    const active = activeAttemptSchema.array().parse(JSON.parse(String(jobs.stdout)));
    expect(active.map((a) => a.jobId)).toEqual([jobId]);
    const text = await cli(['status']);
    expect(String(text.stdout)).toContain(`coord-runner approve ${interaction.interactionId}`);

    // What has happened so far, from the spool; then follow it live while it is approved.
    const sofar = await cli(['logs', jobId]);
    expect(sofar.exitCode).toBe(0);
    expect(String(sofar.stdout)).toContain('agent: about to write');
    expect(String(sofar.stdout)).toContain(`? approve write`);
    const follow = runCli(['logs', jobId, '--follow', '--json'], { env, timeoutMs: 30_000 });

    const approved = await cli(['approve', interaction.interactionId, '--json']);
    expect(approved.exitCode, String(approved.all)).toBe(0);
    expect(controlAnswerSchemas.answer.parse(JSON.parse(String(approved.stdout)))).toMatchObject({
      won: true,
      by: 'runner',
    });
    const again = await cli(['approve', interaction.interactionId]);
    expect(again.exitCode).toBe(6);
    expect(String(again.stderr)).toContain('is waiting on this runner');

    const followed = await follow;
    expect(followed.exitCode, String(followed.all)).toBe(0);
    const lines = String(followed.stdout)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    // Every event once, in order, ending with the finish.
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.at(-1)?.type).toBe('job.finished');
    expect(lines.map((l) => l.type)).toContain('interaction.resolved');

    const history = await eventually(
      async () => {
        const res = await cli(['history', '--json', '--outcome', 'succeeded']);
        const page = historyPageSchema.parse(JSON.parse(String(res.stdout)));
        return page.entries.length ? page : undefined;
      },
      10_000,
      'the history entry',
    );
    expect(history.entries).toEqual([
      expect.objectContaining({
        jobId,
        outcome: 'succeeded',
        agent: 'demo',
        workspaceId: 'local',
        attemptNumber: 1,
      }),
    ]);
    const none = await cli(['history', '--json', '--outcome', 'failed']);
    expect(historyPageSchema.parse(JSON.parse(String(none.stdout))).entries).toEqual([]);

    const stopped = await cli(['stop', '--drain']);
    expect(stopped.exitCode, String(stopped.all)).toBe(0);
    expect((await runner.child).exitCode).toBe(0);

    // The history is on disk: it outlives the runner, and so does the log of the attempt.
    const after = await cli(['history', '--agent', 'demo', '--since', '1h']);
    expect(after.exitCode).toBe(0);
    expect(String(after.stdout)).toMatch(new RegExp(`${jobId}  #1  succeeded`));
    const noRunner = await cli(['status']);
    expect(noRunner.exitCode).toBe(5);
    expect(String(noRunner.stderr)).toContain('Start one with `coord-runner start`');
  }, 90_000);

  it('a waiting question is answered with `answer`; approve and deny say so and change nothing', async () => {
    const { server, cli, startRunner, runningStatus } = await setup('question');
    startRunner();
    await runningStatus();
    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      ...askingJob,
      title: 'Ask a name',
      agent: {
        id: 'demo',
        plan: [
          { type: 'ask', id: 'name', question: 'Whom to greet?' },
          { type: 'say', text: 'hello {{answer:name}}' },
        ],
      },
    });
    const waiting = await eventually(
      async () => (await runningStatus()).waiting[0],
      30_000,
      'the question to wait',
    );
    expect(waiting.request.kind).toBe('question');
    for (const command of ['approve', 'deny']) {
      const refused = await cli([command, waiting.interactionId]);
      expect(refused.exitCode, command).toBe(2);
      expect(String(refused.stderr)).toContain(`${waiting.interactionId} is a question, not an approval.`);
      expect(String(refused.stderr)).toContain(`coord-runner answer ${waiting.interactionId} <answer>`);
    }
    expect((await runningStatus()).waiting.map((w) => w.interactionId)).toEqual([waiting.interactionId]);

    const answered = await cli(['answer', waiting.interactionId, 'Ada']);
    expect(answered.exitCode, String(answered.all)).toBe(0);
    expect(String(answered.stdout)).toContain(`Answered ${waiting.interactionId}.`);
    const jobId = submitted.json.job.id;
    const done = await eventually(
      async () => {
        const view = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`);
        return view.json.job.status === 'done' ? view.json.job : undefined;
      },
      30_000,
      'the job to finish',
    );
    expect(done.attempts.map((a) => a.status)).toEqual(['no_changes']); // a local job that wrote no file
    const log = await cli(['logs', jobId]);
    expect(String(log.stdout)).toContain('hello Ada');
  }, 90_000);

  it('says which failure it was with its exit code', async () => {
    const { server, tokenFile, cli, startRunner, runningStatus } = await setup('exit-codes');
    expect((await cli(['logs', 'job_x'])).exitCode).toBe(5); // no runner running
    expect((await cli(['status', '--bogus'])).exitCode).toBe(2); // bad flag
    expect((await cli(['history', '--outcome', 'great'])).exitCode).toBe(2);
    expect((await cli(['history', '--cursor', 'page-2'])).exitCode).toBe(2);
    expect((await cli(['start', '--server', server.url])).exitCode).toBe(3); // not signed in
    const unreachable = await cli([
      'jobs',
      'list',
      '--server',
      'http://127.0.0.1:9',
      '--token-file',
      tokenFile,
    ]);
    expect(unreachable.exitCode).toBe(4);

    startRunner();
    await runningStatus();
    expect((await cli(['history', '--cursor', 'page-2'])).exitCode).toBe(2); // through the runner too
    const unknown = await cli(['logs', 'job_nope']);
    expect(unknown.exitCode).toBe(6); // unknown job
    expect(String(unknown.stderr)).toContain('coord-runner history');
    const second = await cli(['start', '--server', server.url, '--token-file', tokenFile]);
    expect(second.exitCode).toBe(7);
    expect(String(second.stderr)).toContain('A runner is already running on the state dir');
  }, 60_000);

  it('a runner killed with SIGKILL leaves a stale socket the next runner replaces', async () => {
    const { cli, startRunner, runningStatus, stateDir } = await setup('stale');
    const first = startRunner();
    const { pid } = await runningStatus();
    process.kill(pid, 'SIGKILL');
    await processGone(pid);
    expect(statSync(join(stateDir, 'control', 'runner.sock')).isSocket()).toBe(true);
    expect((await cli(['status'])).exitCode).toBe(5);
    await first.child;

    const second = startRunner();
    const next = await runningStatus();
    expect(next.pid).not.toBe(pid);

    // `stop --now` exits at once, and takes its socket along.
    const now = await cli(['stop', '--now']);
    expect(now.exitCode, String(now.all)).toBe(0);
    expect((await second.child).exitCode).toBe(130);
    expect(existsSync(join(stateDir, 'control', 'runner.sock'))).toBe(false);
  }, 60_000);

  it('answers a client of another control API version with a clear error', async () => {
    const { startRunner, runningStatus, stateDir } = await setup('version');
    startRunner();
    await runningStatus();
    const reply = await new Promise<string>((resolve, reject) => {
      const req = request(
        { socketPath: join(stateDir, 'control', 'runner.sock'), path: '/call', method: 'POST' },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ version: 99, call: { method: 'status' } }));
    });
    expect(JSON.parse(reply)).toMatchObject({
      ok: false,
      error: { code: 'control.unsupported_version', message: expect.stringContaining('version 99') },
    });
  });

  it('start climbs the signal ladder: drain first, then stop the running job gracefully', async () => {
    const { server, startRunner, runningStatus } = await setup('ladder');
    const runner = startRunner();
    await runningStatus();
    const job = await api<{ job: JobView }>(
      server,
      'POST',
      '/v1/workspaces/local/jobs',
      longRunningJob('Long'),
    );
    await eventually(
      async () => ((await runningStatus()).active.length ? true : undefined),
      30_000,
      'the job',
    );

    runner.child.kill('SIGINT');
    // Draining: the job keeps running; the runner takes nothing new.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const draining = await runningStatus();
    expect(draining.connections[0]?.status).toBe('stopping');
    expect(draining.active.map((a) => a.jobId)).toEqual([job.json.job.id]);

    runner.child.kill('SIGINT');
    const exited = await runner.child;
    expect(exited.exitCode).toBe(0);
    const view = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${job.json.job.id}`);
    expect(view.json.job.attempts.map((a) => a.status)).toEqual(['stopped']);
  }, 60_000);

  it('jobs stop stops one running job gracefully and the runner goes on', async () => {
    const { server, cli, startRunner, runningStatus } = await setup('job-stop');
    startRunner();
    await runningStatus();
    const job = await api<{ job: JobView }>(
      server,
      'POST',
      '/v1/workspaces/local/jobs',
      longRunningJob('Long'),
    );
    const jobId = job.json.job.id;
    await eventually(
      async () => ((await runningStatus()).active.length ? true : undefined),
      30_000,
      'the job',
    );

    const stopped = await cli(['jobs', 'stop', jobId, '--json']);
    expect(stopped.exitCode, String(stopped.all)).toBe(0);
    expect(controlAnswerSchemas['job.stop'].parse(JSON.parse(String(stopped.stdout))).jobId).toBe(jobId);
    const attempts = await eventually(
      async () => {
        const view = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`);
        const statuses = view.json.job.attempts.map((a) => a.status);
        return statuses[0] === 'stopped' ? statuses : undefined;
      },
      30_000,
      'the attempt to be stopped',
    );
    expect(attempts[0]).toBe('stopped');
    expect((await runningStatus()).connections[0]?.status).not.toBe('stopped');
    expect((await cli(['jobs', 'stop', 'job_unknown'])).exitCode).toBe(6);
  }, 60_000);
});
