import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { CLI_BIN, cliEnv, eventually, runCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';
import { terminal } from './helpers/terminal.js';

const SPIN = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';

async function serverIn(dir: string) {
  const server = await startLocalServer({ dataDir: join(dir, 'server') });
  onCleanup(() => server.close());
  return server;
}

/** The screen's lines from the last status rule down: the live area, while it is shown. */
const areaOf = (screen: string) => {
  const lines = screen.trimEnd().split('\n');
  const rule = lines.findLastIndex((l) => /^─{10,}$/.test(l));
  return rule < 0 ? [] : lines.slice(rule);
};

describe('coord-runner start at a terminal', () => {
  it('keeps a live status area under the log: connection, the job with its state, agent and time, the waiting approval', async () => {
    const dir = tempDir('status-area');
    onCleanup(dir.cleanup);
    const server = await serverIn(dir.path);
    const term = terminal(
      'status',
      [
        process.execPath,
        CLI_BIN,
        'start',
        '--server',
        server.url,
        '--token-file',
        join(dir.path, 'server', 'token'),
        '--state-dir',
        join(dir.path, 'runner'),
        '--no-interactive', // approvals wait in the area (and on the web), not in a prompt
      ],
      {
        PATH: process.env['PATH'] ?? '',
        HOME: join(dir.path, 'home'),
        LANG: 'C.UTF-8',
        TERM: 'xterm-256color',
      },
    );

    // Idle: connected, nothing busy, and how long it has waited for a job.
    const idle = await term.waitFor(new RegExp(`${SPIN} waiting for a job for \\d+ s`), 'the idle area');
    expect(areaOf(idle)[1]).toMatch(
      new RegExp(`^${server.url.replace(/\./g, '\\.')} · connected as run_\\S+ · 0/1 busy$`),
    );

    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Tick slowly',
      instructions: 'x',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          {
            type: 'run',
            command: [
              process.execPath,
              '-e',
              'console.log("tick"); setTimeout(() => console.log("tock"), 4000)',
            ],
            ask: true,
          },
          { type: 'say', text: 'Ticked.' },
        ],
      },
    });
    const jobId = submitted.json.job.id;

    // The approval waits: the job's line says so, with its agent and elapsed time; the approval has its own.
    const asking = areaOf(
      await term.waitFor(/└ coord-runner approve int-[0-9a-f-]+, or on the web/, 'the waiting approval'),
    );
    expect(asking).toContainEqual(
      expect.stringMatching(/^\? Tick slowly · waiting for an answer · demo · \d+ s$/),
    );
    expect(asking).toContainEqual(
      expect.stringMatching(/^\? approve run: .*tick.* \(job "Tick slowly"\) · waiting \d+ s$/),
    );
    const interactionId = /coord-runner approve (int-[0-9a-f-]+)/.exec(asking.join('\n'))![1]!;

    // Answered on the web: the approval leaves the area, the tool runs, its last line shows.
    const answered = await api(server, 'POST', `/v1/interactions/${interactionId}/answer`, {
      answer: { kind: 'approval', decision: 'allow_once' },
      by: 'web',
    });
    expect(answered.status).toBe(200);
    const working = areaOf(await term.waitFor(/└ tick/, 'the tool output in the area'));
    expect(working).toContainEqual(
      expect.stringMatching(new RegExp(`^${SPIN} Tick slowly · agent working \\d+ s · demo · \\d+ s$`)),
    );
    expect(working.join('\n')).not.toContain('coord-runner approve');
    // Log lines went above the area, which stays at the bottom.
    const screen = term.screen();
    expect(screen.indexOf('✓ answered by web')).toBeLessThan(screen.lastIndexOf('─'.repeat(40)));

    // Done: back to waiting, the finished job's line in the log above.
    await eventually(async () => {
      const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
      return job.status === 'done' ? true : undefined;
    }, 30_000);
    const back = await term.waitFor(
      new RegExp(`■ job ${jobId} no_changes[\\s\\S]*─{40,}[\\s\\S]*0/1 busy\\n${SPIN} waiting for a job`),
      'the area back to idle',
    );
    for (const line of areaOf(back)) expect([...line].length, line).toBeLessThan(160);

    // Ctrl-C drains and exits; the area leaves the screen with the runner.
    term.keys('C-c');
    const ended = await term.waitFor(/EXIT:\d+/, 'the runner to exit');
    expect(ended).toContain('EXIT:0');
    expect(ended).toContain('Received SIGINT: taking no new job');
    expect(ended.trimEnd().split('\n').slice(-3).join('\n')).toMatch(/runner stopped[^\n]*\nEXIT:0$/);
  }, 90_000);

  it('piped, it prints NDJSON events (no area); --text prints plain lines', async () => {
    const dir = tempDir('status-piped');
    onCleanup(dir.cleanup);
    const server = await serverIn(dir.path);
    const env = cliEnv(join(dir.path, 'home'));
    const connection = ['--server', server.url, '--token-file', join(dir.path, 'server', 'token')];
    const spec = {
      title: 'Say hi',
      instructions: 'x',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
    };
    await api(server, 'POST', '/v1/workspaces/local/jobs', spec);
    const piped = await runCli(['start', '--once', ...connection, '--state-dir', join(dir.path, 'r1')], {
      env,
      timeoutMs: 60_000,
    });
    expect(piped.exitCode, String(piped.all)).toBe(0);
    const events = String(piped.stdout)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(events.map((e) => e.type)).toContain('job.finished');
    expect(String(piped.stdout)).not.toContain('waiting for a job');

    await api(server, 'POST', '/v1/workspaces/local/jobs', spec);
    const text = await runCli(
      ['start', '--once', '--text', ...connection, '--state-dir', join(dir.path, 'r2')],
      { env, timeoutMs: 60_000 },
    );
    expect(text.exitCode, String(text.all)).toBe(0);
    expect(String(text.stdout)).toMatch(/^■ job job_\S+ no_changes$/m);
    expect(String(text.stdout)).not.toMatch(/^\{/m);
  });
});
