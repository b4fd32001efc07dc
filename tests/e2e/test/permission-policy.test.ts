import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import type { AttemptEvent, InteractionView, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, startCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

describe('the permission policy decides what it may, and says who decided and why', () => {
  it('auto_project runs a command in the project, refuses the runner credentials, and asks for sudo', async () => {
    const dir = tempDir('policy');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const tokenFile = join(dir.path, 'server', 'token');
    const touch = (name: string) => [process.execPath, '-e', `require('fs').writeFileSync('${name}', 'x')`];
    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Mixed tool calls',
      instructions: 'x',
      context: { type: 'local' },
      routing: { mode: 'any' },
      agent: {
        id: 'demo',
        plan: [
          { type: 'run', command: touch('inside.txt'), ask: true },
          { type: 'run', command: ['cat', tokenFile], ask: true },
          { type: 'run', command: ['sudo', 'true'], ask: true },
          { type: 'run', command: touch('after.txt'), ask: true },
        ],
      },
    });
    const jobId = submitted.json.job.id;
    const runner = startCli(
      [
        'start',
        '--once',
        '--json',
        '--permission-mode',
        'auto_project',
        '--server',
        server.url,
        '--token-file',
        tokenFile,
        '--state-dir',
        join(dir.path, 'runner'),
        '--keep-work-trees',
      ],
      cliEnv(join(dir.path, 'home')),
    );
    onCleanup(() => void runner.child.kill('SIGKILL'));

    const attemptEvents = async () => {
      const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
      const attempt = job.attempts[0];
      if (!attempt) return [];
      return (
        await api<{ events: AttemptEvent[] }>(
          server,
          'GET',
          `/v1/attempts/${attempt.id}/events?after=0&limit=1000`,
        )
      ).json.events;
    };
    // Only sudo reaches a person: deny it there.
    const asked = await eventually(async () => {
      const requested = (await attemptEvents()).filter((e) => e.type === 'interaction.requested');
      return requested.length > 0 ? requested : undefined;
    }, 30_000);
    expect(asked).toHaveLength(1);
    const interaction = asked[0]!.data as {
      interactionId: string;
      request: { summary: string; reason: string; workDir: string };
    };
    expect(interaction.request.summary).toBe('sudo true');
    expect(interaction.request.reason).toBe('Dangerous: it runs sudo; never approved automatically.');
    expect(interaction.request.workDir).toMatch(/runner/);
    const denied = await api<{ interaction: InteractionView }>(
      server,
      'POST',
      `/v1/interactions/${interaction.interactionId}/answer`,
      { answer: { kind: 'approval', decision: 'deny', message: 'no root here' }, by: 'web' },
    );
    expect(denied.status).toBe(200);

    await eventually(async () => {
      const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
      return job.status === 'done' ? job : undefined;
    }, 30_000);

    const decided = (await attemptEvents())
      .filter((e) => e.type === 'approval.decided')
      .map((e) => e.data as { decision: string; reason: string; by: string });
    expect(decided).toEqual([
      {
        requestId: 'ask-1',
        toolName: 'run',
        decision: 'allow',
        reason: 'Inside the project (permission mode: auto_project).',
        by: 'policy',
      },
      {
        requestId: 'ask-2',
        toolName: 'run',
        decision: 'deny',
        reason: expect.stringMatching(
          /^Refused: .*runner's own state or credentials; agents never get them\.$/,
        ),
        by: 'policy',
      },
      {
        requestId: 'ask-3',
        toolName: 'run',
        decision: 'ask',
        reason: 'Dangerous: it runs sudo; never approved automatically.',
        by: 'policy',
      },
      {
        requestId: 'ask-4',
        toolName: 'run',
        decision: 'allow',
        reason: 'Inside the project (permission mode: auto_project).',
        by: 'policy',
      },
    ]);
    const resolved = (await attemptEvents()).filter((e) => e.type === 'interaction.resolved');
    expect(resolved.map((e) => (e.data as { by: string }).by)).toEqual(['web']);

    // What ran, ran in the work tree; the token was never printed.
    const output = runner.output();
    expect(output).not.toContain(server.token);
    const workTree = /"workDir":"([^"]+)"/.exec(output)?.[1];
    expect(workTree).toBeDefined();
    expect(existsSync(join(workTree!, 'inside.txt'))).toBe(true);
    expect(existsSync(join(workTree!, 'after.txt'))).toBe(true);
  });
});
