import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createCoordClient, createFileEventSpool, type RunnerEvent } from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { startTestRunner } from './helpers/runner.js';
import { cliEnv, eventually, processGone, runCli, startCli, tempDir } from './helpers/cli.js';
import { longRunningJob } from './helpers/jobs.js';
import { api } from './helpers/server.js';

/** The pid the long-running step printed. */
const pidIn = (text: string) => {
  const match = /pid (\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
};

describe('stops', () => {
  it("a stop from the server ends the agent after the stop's own grace, not the runner's", async () => {
    const dir = tempDir('stop-grace');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const { events } = await startTestRunner(
      server,
      dir.path,
      'grace',
      {
        spool: createFileEventSpool(join(dir.path, 'attempts')),
        // Were this the grace, the stop would wait out the agent's minute-long step.
        stopGraceMs: 120_000,
      },
      'force',
    );
    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const job = await client.submitJob('local', longRunningJob('Stop me within 500 ms'));
    const output = await firstValueFrom(
      events.pipe(
        filter(
          (e): e is Extract<RunnerEvent, { type: 'job.agent' }> =>
            e.type === 'job.agent' && e.event.type === 'tool.output' && e.event.chunk.includes('pid'),
        ),
      ),
    );
    const pid = pidIn(JSON.stringify(output.event))!;

    // The graceful stop the web page sends, with its grace: interrupt, 500 ms, SIGTERM, then kill.
    const stop = await api(server, 'POST', `/v1/jobs/${job.id}/stop`, { graceMs: 500 });
    expect(stop.status).toBe(200);
    const finished = await firstValueFrom(
      events.pipe(
        filter((e): e is Extract<RunnerEvent, { type: 'job.finished' }> => e.type === 'job.finished'),
      ),
    );
    expect(finished.outcome).toBe('stopped');
    // The agent's command (a grandchild of the runner) is gone long before either minute is up.
    await processGone(pid, 20_000);
    // Reported stopped (the job is requeued, and this runner may well take it again at once).
    await eventually(async () =>
      (await client.getJob(job.id)).attempts[0]?.status === 'stopped' ? true : undefined,
    );
  }, 60_000);

  it('`stop --now` ends the agent at once, reports its job stopped, and exits', async () => {
    const dir = tempDir('force-stop');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${server.token}\n`, { mode: 0o600 });
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: join(dir.path, 'state') });
    const runner = startCli(['start', '--server', server.url, '--token-file', tokenFile, '--json'], env);
    onCleanup(async () => {
      runner.child.kill('SIGKILL');
      await runner.child;
    });
    const submitted = await api<{ job: JobView }>(
      server,
      'POST',
      '/v1/workspaces/local/jobs',
      longRunningJob('Stop me now'),
    );
    const jobId = submitted.json.job.id;
    const pid = await eventually(() => pidIn(runner.output()), 30_000, 'the agent command to start');

    const now = await runCli(['stop', '--now'], { env, timeoutMs: 30_000 });
    expect(now.exitCode, String(now.all)).toBe(0);
    expect(String(now.stdout)).toContain('1 running job(s) have their agents ended at once');
    // At once: not after the graceful stop's 10 s, nor after the step's minute.
    const exited = await runner.child;
    expect(exited.exitCode).toBe(130);
    await processGone(pid, 5_000);
    const finished = runner
      .output()
      .split('\n')
      .filter((line) => line.includes('"job.finished"'))
      .map((line) => JSON.parse(line) as Extract<RunnerEvent, { type: 'job.finished' }>);
    expect(finished).toMatchObject([{ jobId, outcome: 'stopped' }]);
    // The server has the report: the attempt is stopped and the job back in line for another.
    const { json } = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`);
    expect(json.job.attempts.map((a) => a.status)).toEqual(['stopped']);
    expect(json.job.status).toBe('ready');
  }, 60_000);

  it('a third Ctrl-C, while a graceful stop waits for the agent, ends it at once', async () => {
    const dir = tempDir('third-signal');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${server.token}\n`, { mode: 0o600 });
    const env = cliEnv(join(dir.path, 'home'), { COORD_RUNNER_STATE_DIR: join(dir.path, 'state') });
    const runner = startCli(['start', '--server', server.url, '--token-file', tokenFile, '--json'], env, {
      stderr: true,
    });
    onCleanup(async () => {
      runner.child.kill('SIGKILL');
      await runner.child;
    });
    const submitted = await api<{ job: JobView }>(
      server,
      'POST',
      '/v1/workspaces/local/jobs',
      longRunningJob('Stop me, then now'),
    );
    const pid = await eventually(() => pidIn(runner.output()), 30_000, 'the agent command to start');

    runner.child.kill('SIGINT'); // drain
    await eventually(() => (runner.output().includes('taking no new job') ? true : undefined));
    runner.child.kill('SIGINT'); // graceful: the agent finishes its minute-long step, or its 10 s run out
    await eventually(() =>
      runner.output().includes('stopping the running jobs gracefully') ? true : undefined,
    );
    runner.child.kill('SIGINT'); // now
    const exited = await runner.child;
    // 130: the forced stop (a graceful one that ran its course would exit 0).
    expect(exited.exitCode, runner.output()).toBe(130);
    expect(runner.output()).toContain('ending the agents now');
    await processGone(pid, 5_000);
    const { json } = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${submitted.json.job.id}`);
    expect(json.job.attempts.map((a) => a.status)).toEqual(['stopped']);
  }, 60_000);
});
