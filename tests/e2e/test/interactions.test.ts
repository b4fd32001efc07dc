import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createCoordClient, createMemoryEventSpool, type RunnerEvent } from '@coord/runner-core';
import type { InteractionView, JobView } from '@coord/runner-protocol';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { eventually, tempDir } from './helpers/cli.js';
import { createAskingAgent } from './helpers/scripted-agent.js';
import { startTestRunner } from './helpers/runner.js';
import { api } from './helpers/server.js';

async function setup(options: { interactionTimeoutMs?: number } = {}) {
  const dir = tempDir('interactions');
  onCleanup(dir.cleanup);
  const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
  onCleanup(() => server.close());
  const agent = createAskingAgent();
  const { runner, events } = await startTestRunner(server, dir.path, 'asker', {
    agents: [agent],
    spool: createMemoryEventSpool(),
    // Renewals a minute apart: answers from the web arrive through the push hint.
    timings: { leaseRenewMs: 60_000, claimWaitMs: 1_000 },
    ...(options.interactionTimeoutMs ? { interactionTimeoutMs: options.interactionTimeoutMs } : {}),
  });
  const client = createCoordClient({ baseUrl: server.url, token: server.token });
  const job = await client.submitJob('local', {
    title: 'Ask before deleting',
    instructions: 'Delete the build directory.',
    context: { type: 'local' },
    agent: { id: 'demo', plan: [{ type: 'say', text: 'unused by the asking agent' }] },
    routing: { mode: 'any' },
  });
  const requested = await firstValueFrom(
    events.pipe(
      filter(
        (e): e is Extract<RunnerEvent, { type: 'interaction.requested' }> =>
          e.type === 'interaction.requested',
      ),
    ),
  );
  const resolved = firstValueFrom(
    events.pipe(
      filter(
        (e): e is Extract<RunnerEvent, { type: 'interaction.resolved' }> => e.type === 'interaction.resolved',
      ),
    ),
  );
  const finished = firstValueFrom(
    events.pipe(
      filter((e): e is Extract<RunnerEvent, { type: 'job.finished' }> => e.type === 'job.finished'),
    ),
  );
  // The server knows the question as soon as the runner asked it.
  const onServer = await eventually(async () => {
    const res = await api<{ interaction: InteractionView }>(
      server,
      'GET',
      `/v1/attempts/${requested.attemptId}/interactions/${requested.interactionId}`,
    );
    return res.status === 200 ? res.json.interaction : undefined;
  });
  expect(onServer).toMatchObject({
    jobId: job.id,
    request: { kind: 'approval', toolName: 'Bash' },
    answer: null,
  });
  return { server, runner, agent, job, requested, resolved, finished };
}

describe('questions and approvals: the first answer wins, from either side', () => {
  it('an answer from the web reaches the agent; a later answer from the runner learns the winner', async () => {
    const { server, runner, agent, requested, resolved, finished } = await setup();
    const web = await api(server, 'POST', `/v1/interactions/${requested.interactionId}/answer`, {
      answer: { kind: 'approval', decision: 'deny', message: 'not today' },
      by: 'web',
    });
    expect(web.status).toBe(200);
    expect(await resolved).toMatchObject({ by: 'web', answer: { kind: 'approval', decision: 'deny' } });
    expect((await finished).summary).toBe('tool deny');
    expect(agent.answers).toEqual([{ kind: 'approval', decision: 'deny', message: 'not today' }]);

    const late = await runner.answer(requested.interactionId, { kind: 'approval', decision: 'allow_once' });
    expect(late).toMatchObject({ won: false, by: 'web', answer: { decision: 'deny' } });
    expect(agent.answers).toHaveLength(1);
  });

  it('an answer from the runner wins over a later one from the web', async () => {
    const { server, runner, agent, requested, resolved, finished } = await setup();
    const mine = await runner.answer(requested.interactionId, { kind: 'approval', decision: 'allow_once' });
    expect(mine).toMatchObject({ won: true, by: 'runner' });
    expect(await resolved).toMatchObject({ by: 'runner' });
    expect((await finished).summary).toBe('tool allow_once');

    const web = await api<{ error: { code: string; details: { by: string } } }>(
      server,
      'POST',
      `/v1/interactions/${requested.interactionId}/answer`,
      { answer: { kind: 'approval', decision: 'deny' }, by: 'web' },
    );
    expect(web.status).toBe(409);
    expect(web.json.error).toMatchObject({ code: 'interaction.already_answered', details: { by: 'runner' } });
    expect(agent.answers).toEqual([{ kind: 'approval', decision: 'allow_once' }]);
  });

  it('an unanswered request times out to the safe default', async () => {
    const { server, agent, job, requested, resolved, finished } = await setup({ interactionTimeoutMs: 300 });
    expect(await resolved).toMatchObject({ by: 'timeout', answer: { kind: 'timeout' } });
    expect((await finished).summary).toBe('tool timeout');
    expect(agent.answers).toEqual([{ kind: 'timeout' }]);
    const stored = await api<{ interaction: InteractionView }>(
      server,
      'GET',
      `/v1/attempts/${requested.attemptId}/interactions/${requested.interactionId}`,
    );
    expect(stored.json.interaction).toMatchObject({ answer: { kind: 'timeout' }, answeredBy: 'runner' });
    const view = await eventually(async () => {
      const res = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${job.id}`);
      return res.json.job.status !== 'in_progress' ? res.json.job : undefined;
    });
    expect(view.attempts[0]!.summary).toBe('tool timeout');
  });

  it('a request the agent withdraws is closed on the server at once, as withdrawn', async () => {
    const { server, agent, requested, resolved } = await setup();
    agent.withdraw();
    expect(await resolved).toMatchObject({ answer: { kind: 'withdrawn' }, by: 'withdrawn' });
    const stored = await api<{ interaction: InteractionView }>(
      server,
      'GET',
      `/v1/attempts/${requested.attemptId}/interactions/${requested.interactionId}`,
    );
    expect(stored.json.interaction).toMatchObject({ answer: { kind: 'withdrawn' }, answeredBy: 'runner' });
  });
});
