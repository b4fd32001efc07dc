import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { InteractionView, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { CLI_BIN, cliEnv, eventually, runCli, tempDir } from './helpers/cli.js';
import { terminal } from './helpers/terminal.js';
import { api } from './helpers/server.js';

describe('approvals and questions at the terminal', () => {
  it('coord-runner start asks at the terminal; an answer from the web takes the prompt away', async () => {
    const dir = tempDir('prompts');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Greet someone',
      instructions: 'Greet.',
      context: { type: 'local' },
      routing: { mode: 'any' },
      agent: {
        id: 'demo',
        plan: [
          { type: 'ask', id: 'name', question: 'Whom should it greet?', options: ['World', 'Coord'] },
          { type: 'write', path: 'greeting.txt', content: 'Hello, {{answer:name}}!\n', ask: true },
          { type: 'run', command: [process.execPath, '-e', 'console.log("ran")'], ask: true },
          { type: 'write', path: 'denied.txt', content: 'no\n', ask: true },
        ],
      },
    });
    const jobId = submitted.json.job.id;

    const term = terminal(
      'prompts',
      [
        process.execPath,
        CLI_BIN,
        'start',
        '--once',
        '--server',
        server.url,
        '--token-file',
        join(dir.path, 'server', 'token'),
        '--state-dir',
        join(dir.path, 'runner'),
      ],
      {
        PATH: process.env['PATH'] ?? '',
        HOME: join(dir.path, 'home'),
        LANG: 'C.UTF-8',
        TERM: 'xterm-256color',
      },
    );

    // A question, answered with the arrow keys.
    await term.waitFor('Question — job "Greet someone"', 'the question');
    await term.waitFor('❯ World', 'its options');
    term.keys('Down', 'Enter');

    // An approval, answered on the web instead: the prompt goes away and says so.
    await term.waitFor('Allow write: Write greeting.txt', 'the write approval');
    const pending = await eventually(async () => {
      const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
      const attempt = job.attempts[0];
      if (!attempt) return undefined;
      const events = await api<{ events: { type: string; data: { interactionId?: string } }[] }>(
        server,
        'GET',
        `/v1/attempts/${attempt.id}/events?after=0&limit=500`,
      );
      const asked = events.json.events.filter((e) => e.type === 'interaction.requested');
      return asked.length === 2 ? asked[1]!.data.interactionId : undefined;
    }, 20_000);
    const web = await api<{ interaction: InteractionView }>(
      server,
      'POST',
      `/v1/interactions/${pending}/answer`,
      {
        answer: { kind: 'approval', decision: 'allow_once' },
        by: 'web',
      },
    );
    expect(web.status).toBe(200);
    await term.waitFor('✓ answered on the web', 'the web answer noticed');

    // The command: allowed from another terminal, through the runner's control API. It resolves as
    // the runner's own answer does, and still takes the prompt away (wiped, not left drawn).
    await term.waitFor('Allow run:', 'the run approval');
    const waiting = await eventually(async () => {
      const status = await runCli(['status', '--state-dir', join(dir.path, 'runner')], {
        env: cliEnv(join(dir.path, 'home')),
        timeoutMs: 30_000,
      });
      return /(int-[0-9a-f-]+)/.exec(String(status.stdout))?.[1];
    }, 20_000);
    const approved = await runCli(['approve', waiting, '--state-dir', join(dir.path, 'runner')], {
      env: cliEnv(join(dir.path, 'home')),
      timeoutMs: 30_000,
    });
    expect(approved.exitCode, String(approved.all)).toBe(0);
    const afterApprove = await term.waitFor('✓ answered from another terminal', 'the approval from the CLI');
    expect(afterApprove).not.toContain('Allow run:');

    // The last write: denied here.
    await term.waitFor('Allow write: Write denied.txt', 'the last approval');
    term.keys('Down', 'Down', 'Enter');

    const shown = await term.waitFor(/EXIT:\d+/, 'the runner to exit');
    expect(shown).toContain('EXIT:0');
    expect(shown).toContain('You answered: Coord');
    // Each prompt said itself how it was answered: the log did not say it again.
    expect(shown).toContain('✓ answered on the web');
    expect(shown).not.toContain('✓ answered by web');
    expect(shown).not.toContain('✓ answered by runner');
    expect(shown).toContain('ran');
    const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
    expect(job.status).toBe('done');
    expect(job.attempts[0]!.outputs).toEqual(['greeting.txt']);
  });
});
