import { join } from 'node:path';
import type { AttemptEvent, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, startCli, tempDir } from './helpers/cli.js';
import { api, startCliServer, type CliServer } from './helpers/server.js';

const OUTAGE_MS = 60_000;
const TICKS = 150;

/**
 * Issue 7, done when: "A test kills the server for 60 s mid-job and the job still completes with
 * every event delivered once." Real processes throughout: `coord-runner local` (durable SQLite,
 * started again on its data dir and port), `coord-runner start`, and the demo agent printing a
 * line every 500 ms for 75 s, so events keep coming all through the outage. The 60 s are real:
 * they are longer than the backoff cap (30 s) and as long as the lease TTL, which is the point.
 */
describe('the Coord server killed for 60 s in the middle of a job', () => {
  it('the job still completes, with every event delivered once', async () => {
    const dir = tempDir('server-outage');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const dataDir = join(dir.path, 'server');
    let server: CliServer = await startCliServer(dataDir, env);
    onCleanup(() => server.stop());
    const port = Number(new URL(server.url).port);

    const runner = startCli(
      [
        'start',
        '--server',
        server.url,
        '--token-file',
        server.tokenFile,
        '--state-dir',
        join(dir.path, 'runner'),
        '--json',
      ],
      env,
      { stderr: true },
    );
    onCleanup(async () => {
      runner.child.kill('SIGKILL');
      await runner.child;
    });
    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Work through an outage',
      instructions: 'Print for a while, then write a file.',
      context: { type: 'local' },
      routing: { mode: 'any' },
      agent: {
        id: 'demo',
        plan: [
          {
            type: 'run',
            command: [
              process.execPath,
              '-e',
              `let i=0;const t=setInterval(()=>{console.log("tick",i++);if(i>=${TICKS})clearInterval(t)},500)`,
            ],
          },
          { type: 'write', path: 'out.txt', content: 'made it\n' },
        ],
      },
    });
    expect(submitted.status).toBe(201);
    const jobId = submitted.json.job.id;
    const ticksPrinted = () => [...runner.output().matchAll(/tick (\d+)/g)].length;
    await eventually(() => (ticksPrinted() >= 4 ? true : undefined), 30_000, 'the first ticks');

    // Killed, not stopped: nothing is flushed or said to the runner.
    server.process.kill('SIGKILL');
    await server.process;
    const killedAt = Date.now();
    const printedAtKill = ticksPrinted();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    // The agent worked all through it; the runner is still there.
    expect(ticksPrinted()).toBeGreaterThan(printedAtKill + 100);
    expect(runner.child.exitCode).toBeNull();

    const restartedAt = Date.now();
    server = await startCliServer(dataDir, env, { port });
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    const done = await eventually(
      async () => {
        const { json } = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`);
        return json.job.status === 'done' ? json.job : undefined;
      },
      120_000,
      'the job to complete after the restart',
    );

    // The same attempt finished it: the outage cost no lease, no requeue, no second run.
    expect(done.attempts.map((a) => [a.number, a.status])).toEqual([[1, 'succeeded']]);
    const attempt = done.attempts[0]!;
    const { status, json: page } = await api<{ events: AttemptEvent[] }>(
      server,
      'GET',
      `/v1/attempts/${attempt.id}/events?after=0&limit=1000`,
    );
    expect(status).toBe(200);
    const stored = page.events;
    // Every event once, in order: seq 1..N with no gap and no duplicate.
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    expect(attempt.eventsAcked).toBe(stored.length);
    expect(stored.at(-1)).toMatchObject({ type: 'job.finished', data: { outcome: 'succeeded' } });
    const ticks = new Set([...JSON.stringify(stored).matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    expect(ticks).toEqual(new Set(Array.from({ length: TICKS }, (_, i) => i)));
    // Including those made while the server was gone.
    const duringOutage = stored.filter((e) => {
      const at = Date.parse(e.at);
      return at > killedAt && at < restartedAt;
    });
    expect(duringOutage.length).toBeGreaterThan(50);
  }, 240_000);
});
