import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createCoordClient, statusSnapshotSchema, type RunnerEvent } from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { loginWithDeviceCode } from './helpers/device-sign-in.js';

/** A local job whose command prints `tick 0` .. `tick 39`, one every 250 ms (about 10 s). */
const tickingJob = {
  title: 'Tick through a sign-out',
  instructions: 'Print for a while.',
  context: { type: 'local' as const },
  routing: { mode: 'any' as const },
  agent: {
    id: 'demo' as const,
    plan: [
      {
        type: 'run' as const,
        command: [
          process.execPath,
          '-e',
          'let i=0;const t=setInterval(()=>{console.log("tick",i++);if(i>=40)clearInterval(t)},250)',
        ],
      },
    ],
  },
};

describe('a runner whose token is revoked mid-job', () => {
  it('is signed out, says what to do, keeps every event, and goes on once signed in again', async () => {
    const dir = tempDir('signed-out');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const stateDir = join(dir.path, 'state');
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: stateDir });
    const cli = (args: string[]) => runCli(args, { env, timeoutMs: 30_000 });
    const status = async () => {
      const res = await cli(['status', '--json']);
      return res.exitCode === 0 ? statusSnapshotSchema.parse(JSON.parse(String(res.stdout))) : undefined;
    };

    // Signed in with a device code: a token `coord-runner logout` revokes on the server.
    await loginWithDeviceCode(server, stateDir, env);
    const runner = startCli(['start', '--json'], env, { stderr: true });
    onCleanup(async () => {
      runner.child.kill('SIGKILL');
      await runner.child;
    });
    await eventually(async () => ((await status())?.connections[0]?.status === 'idle' ? true : undefined));

    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const job = await client.submitJob('local', tickingJob);
    await eventually(() => (/"tick 2\b/.test(runner.output()) ? true : undefined), 20_000, 'ticks');

    // Revoked while the agent works (as `logout` in another terminal would).
    const logout = await cli(['logout']);
    expect(String(logout.stdout)).toContain('revoked on the server');
    const signedOut = await eventually(
      async () => {
        const connection = (await status())?.connections[0];
        return connection?.status === 'signed_out' ? connection : undefined;
      },
      20_000,
      'the runner to be signed out',
    );
    expect(signedOut.message).toContain('run `coord-runner login`');
    const text = await cli(['status']);
    expect(String(text.stdout)).toContain('signed_out');
    expect(String(text.stdout)).toContain('coord-runner login');
    // Signed out for a while: the agent goes on, and its output piles up in the spool.
    const before = await client.getJob(job.id);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await client.getJob(job.id)).attempts[0]!.eventsAcked).toBe(before.attempts[0]!.eventsAcked);

    // Signed in again (here with the server's own token); the runner notices by itself.
    const tokenFile = join(server.store.dataDir, 'token');
    const login = await cli(['login', '--server', server.url, '--token-file', tokenFile]);
    expect(login.exitCode, String(login.all)).toBe(0);
    // Asked by `login`, the runner looked at once (not at its next 5 s look).
    expect(String(login.stdout)).toContain('The runner running on this state dir goes on.');
    expect((await status())?.connections[0]?.status).not.toBe('signed_out');
    const done: JobView = await eventually(
      async () => {
        const view = await client.getJob(job.id);
        return view.status === 'done' ? view : undefined;
      },
      30_000,
      'the job to finish',
    );
    expect((await status())?.connections[0]?.status).toBe('idle');

    // One attempt, and every event it made, once, in order: those of the signed-out time too.
    expect(done.attempts).toHaveLength(1);
    const attempt = done.attempts[0]!;
    expect(attempt.status).toBe('no_changes'); // a job that writes no file
    const stored = (await client.getEvents(attempt.id, 0, 1000)).events;
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    expect(attempt.eventsAcked).toBe(stored.length);
    expect(stored.at(-1)!.type).toBe('job.finished');
    const ticks = new Set([...JSON.stringify(stored).matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    expect(ticks).toEqual(new Set(Array.from({ length: 40 }, (_, i) => i)));

    const events = runner
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as RunnerEvent);
    const statuses = events.flatMap((e) => (e.type === 'runner.status' ? [e] : []));
    const out = statuses.find((e) => e.status === 'signed_out')!;
    const back = statuses.find((e) => e.at > out.at && e.status !== 'signed_out')!;
    expect(back.message).toContain('Signed in again');
    const duringSignOut = stored.filter((e) => {
      const at = Date.parse(e.at);
      return at > out.at && at < back.at;
    });
    expect(duringSignOut.length).toBeGreaterThan(0);
    // Said once, not once per refused call; and no token anywhere in what the runner printed.
    expect(statuses.filter((e) => e.status === 'signed_out')).toHaveLength(1);
    expect(runner.output()).not.toContain(server.token);
    expect(runner.output()).not.toMatch(/coord_[A-Za-z0-9_-]{40,}/);
  }, 120_000);
});
