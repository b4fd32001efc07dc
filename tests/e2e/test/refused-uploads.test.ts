import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer, sweepExpiredLeases } from '@coord/local-server';
import type { JobSubmission, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { onCleanup } from './helpers/cleanup.js';
import { api } from './helpers/server.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

/** One 50 MB line on stdout: the demo agent turns it into hundreds of output events. */
const hugeLine = [process.execPath, '-e', "process.stdout.write('x'.repeat(50 * 1024 * 1024) + '\\n')"];

const job = (title: string, plan: JobSubmission['agent']['plan'], extra: Partial<JobSubmission> = {}) =>
  ({
    title,
    instructions: 'Follow the plan.',
    context: { type: 'local' },
    agent: { id: 'demo', plan },
    routing: { mode: 'any' },
    ...extra,
  }) as JobSubmission;

/** A server, and a proxy in front of it that a test can take down (the server serves its name). */
async function setup(name: string) {
  const dir = tempDir(name);
  onCleanup(dir.cleanup);
  const upstream: { url?: URL } = {};
  const proxy = await startTcpProxy(() => upstream.url!);
  onCleanup(() => proxy.close());
  const server = await startLocalServer({ dataDir: join(dir.path, 'server'), publicUrls: [proxy.url] });
  upstream.url = new URL(server.url);
  onCleanup(() => server.close());
  const env = cliEnv(join(dir.path, 'home'));
  const stateDir = join(dir.path, 'runner');
  const args = (url: string) => [
    'start',
    '--server',
    url,
    '--token-file',
    join(dir.path, 'server', 'token'),
    '--state-dir',
    stateDir,
    '--json',
  ];
  const submit = async (submission: JobSubmission) =>
    (await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', submission)).json.job;
  const jobOf = async (id: string) => (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${id}`)).json.job;
  const statusIs = (id: string, status: string) => async () => {
    const view = await jobOf(id);
    return view.status === status ? view : undefined;
  };
  return { dir, server, proxy, env, stateDir, args, submit, jobOf, statusIs };
}

/** The last bytes of an attempt's spool file: where a long job's latest output is. */
function spoolTail(stateDir: string, attemptId: string, bytes = 8192): string {
  const file = join(stateDir, 'attempts', attemptId, 'events.ndjson');
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  const buffer = Buffer.alloc(Math.min(bytes, size));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

describe('uploads the server refuses', () => {
  it('a command that prints one 50 MB line finishes its job and the runner claims the next one', async () => {
    const { server, proxy, env, args, submit, statusIs } = await setup('huge-line');
    const loud = await submit(
      job('Print one huge line', [
        { type: 'say', text: 'about to print' },
        { type: 'run', command: [process.execPath, '-e', 'setTimeout(() => {}, 300)'] },
        { type: 'run', command: hugeLine },
      ]),
    );
    const runner = startCli(args(proxy.url), env, { keepChars: 100_000 });
    onCleanup(() => void runner.child.kill('SIGKILL'));
    // However fast the server takes events, all of the line's events wait at once: the network is
    // down while the command prints (the runner spools them), so they are sent as one backlog.
    await eventually(
      () => (runner.output().includes('about to print') ? true : undefined),
      20_000,
      'the job',
    );
    proxy.down();
    await eventually(
      () => (/"tool\.completed","toolCallId":"step-3"/.test(runner.output()) ? true : undefined),
      30_000,
      'the command to finish',
    );
    proxy.up();
    const next = await submit(job('The next job', [{ type: 'say', text: 'next' }]));

    const done = await eventually(statusIs(loud.id, 'done'), 30_000, 'the loud job to be done');
    await eventually(statusIs(next.id, 'done'), 20_000, 'the next job to be done');
    const attempt = done.attempts[0]!;
    expect(attempt.status).toBe('no_changes');
    // Every event reached the server, the last one being the finish.
    const page = await api<{ events: Array<{ seq: number; type: string }> }>(
      server,
      'GET',
      `/v1/attempts/${attempt.id}/events?after=${attempt.eventsAcked - 1}&limit=1`,
    );
    expect(page.json.events[0]).toMatchObject({ type: 'job.finished' });
    expect(attempt.eventsAcked).toBeGreaterThan(100);
  }, 90_000);

  it('a restart with a spooled attempt the server refuses claims new work', async () => {
    const { server, env, stateDir, args, submit, jobOf, statusIs } = await setup('refused-restart');
    const loud = await submit(
      job(
        'Print one huge line, then wait',
        [
          { type: 'run', command: hugeLine },
          {
            type: 'run',
            command: [process.execPath, '-e', 'console.log("pid", process.pid); setTimeout(() => {}, 60000)'],
          },
        ],
        { maxAttempts: 1 },
      ),
    );
    const first = startCli(args(server.url), env, { keepChars: 100_000 });
    onCleanup(() => void first.child.kill('SIGKILL'));
    const attemptId = await eventually(
      async () => (await jobOf(loud.id)).attempts[0]?.id,
      20_000,
      'the loud job to be claimed',
    );
    // The huge line is spooled and the agent is in its next step: kill the runner there.
    await eventually(
      () => (/pid \d+/.test(spoolTail(stateDir, attemptId)) ? true : undefined),
      60_000,
      'the agent to reach its second step',
    );
    first.child.kill('SIGKILL');
    await first.child;
    // Meanwhile the server gave the attempt up: every upload for it is refused from now on.
    expect(sweepExpiredLeases(server.store, Date.now() + 10 * 60_000)).toBe(1);

    const next = await submit(job('New work', [{ type: 'say', text: 'new work' }]));
    const second = await runCli([...args(server.url), '--once'], { env, timeoutMs: 45_000 });
    expect(second.exitCode, String(second.all).slice(-2000)).toBe(0);
    await eventually(statusIs(next.id, 'done'), 5_000, 'the new job to be done');
    // The refused attempt was finished here, and the runner said why.
    const printed = String(second.stdout)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; error?: { code: string; message: string } });
    const refusal = printed.find((e) => e.type === 'runner.error' && e.error?.code === 'attempt.refused');
    expect(refusal?.error?.message).toContain(attemptId);
    expect((await jobOf(loud.id)).status).toBe('failed');
  }, 90_000);

  it('Ctrl-C while the server cannot be reached ends within the grace, and the next start delivers', async () => {
    const { proxy, env, args, submit, statusIs } = await setup('stop-outage');
    const stopMe = await submit(
      job('Stop me during an outage', [
        {
          type: 'run',
          command: [
            process.execPath,
            '-e',
            'console.log("working"); setTimeout(() => console.log("step done"), 1000)',
          ],
        },
        { type: 'say', text: 'second step' },
      ]),
    );
    const first = startCli(args(proxy.url), env);
    onCleanup(() => void first.child.kill('SIGKILL'));
    await eventually(
      () => (first.output().includes('working') ? true : undefined),
      20_000,
      'the agent to work',
    );
    proxy.down();
    const stoppedAt = Date.now();
    // Once to drain, again to stop the running job gracefully.
    first.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.child.kill('SIGINT');
    const exited = await first.child;
    // The agent finishes its step (1 s), then the report gets the 10 s delivery grace, no more.
    expect(Date.now() - stoppedAt).toBeLessThan(16_000);
    expect(exited.exitCode).toBe(0);

    proxy.up();
    const second = await runCli([...args(proxy.url), '--once'], { env, timeoutMs: 30_000 });
    expect(second.exitCode, String(second.all).slice(-2000)).toBe(0);
    const done = await eventually(statusIs(stopMe.id, 'done'), 10_000, 'the job to be done');
    expect(done.attempts.map((a) => [a.number, a.status])).toEqual([
      [1, 'stopped'],
      [2, 'no_changes'],
    ]);
  }, 60_000);
});
