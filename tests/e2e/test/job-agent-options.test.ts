import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createDemoAgent } from '@coord/runner-agents';
import {
  createCoordClient,
  createLocalWorkspaces,
  createMemoryEventSpool,
  createRunner,
  type AgentEvent,
  type AgentPort,
  type AgentResult,
  type RunnerEvent,
} from '@coord/runner-core';
import type { JobSubmission, JobView } from '@coord/runner-protocol';
import { ReplaySubject, Subject, filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { eventually, tempDir } from './helpers/cli.js';

/** An agent that reports spending $0.75 and then keeps working until it is interrupted. */
const spendingAgent: AgentPort = {
  id: 'claude-code',
  displayName: 'Spending test agent',
  detect: async () => ({ id: 'claude-code', state: 'detected', version: 'test', enabled: true }),
  start: () => {
    const events$ = new Subject<AgentEvent>();
    let settle!: (result: AgentResult) => void;
    const result = new Promise<AgentResult>((resolve) => (settle = resolve));
    setTimeout(() => {
      events$.next({ type: 'session.started', sessionId: 'spend-1', resumed: false });
      events$.next({ type: 'usage', inputTokens: 1000, outputTokens: 500, costUsd: 0.75, cumulative: true });
    }, 0);
    const end = () => {
      events$.next({ type: 'turn.completed', status: 'interrupted' });
      events$.complete();
      settle({ status: 'interrupted', sessionId: 'spend-1', summary: '', usage: null, error: null });
    };
    return { events$, result, respond: () => undefined, interrupt: async () => end(), kill: end };
  },
};

async function setup(
  agent: AgentPort,
  runnerOptions: Parameters<typeof createRunner>[0]['permissions'] = undefined,
) {
  const dir = tempDir('agent-options');
  onCleanup(dir.cleanup);
  const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
  onCleanup(() => server.close());
  const client = createCoordClient({ baseUrl: server.url, token: server.token });
  const runner = createRunner({
    client,
    identity: { machineId: 'options-machine', name: 'opts', platform: 'linux', arch: 'x64', version: 'test' },
    agents: [agent],
    local: createLocalWorkspaces({ root: join(dir.path, 'work') }),
    spool: createMemoryEventSpool(),
    timings: { claimWaitMs: 1_000 },
    eventBatch: { intervalMs: 20 },
    ...(runnerOptions ? { permissions: runnerOptions } : {}),
  });
  const events = new ReplaySubject<RunnerEvent>();
  runner.events$.subscribe(events);
  onCleanup(() => runner.stop({ mode: 'graceful' }));
  await runner.start();
  const submit = (job: JobSubmission) => client.submitJob('local', job);
  return { client, runner, events, submit };
}

describe("a job's agent options", () => {
  it('an agent that passes the cost budget is stopped, and the attempt fails saying so (not requeued)', async () => {
    const { client, submit } = await setup(spendingAgent);
    const job = await submit({
      title: 'Spend a lot',
      instructions: 'x',
      context: { type: 'local' },
      agent: { id: 'claude-code', maxCostUsd: 0.5 },
      routing: { mode: 'any' },
    });
    const failed = await eventually(async () => {
      const view: JobView = await client.getJob(job.id);
      return view.status === 'failed' ? view : undefined;
    }, 15_000);
    expect(failed.attempts).toHaveLength(1);
    expect(failed.attempts[0]!.error).toMatchObject({ code: 'agent.budget_exceeded', retryable: false });
    expect(failed.attempts[0]!.error!.message).toContain('cost budget of $0.5');
  });

  it("a job's permission mode tightens the runner's: auto_project on the runner, ask for this job", async () => {
    const { events, submit } = await setup(createDemoAgent(), { mode: 'auto_project' });
    await submit({
      title: 'Ask me',
      instructions: 'x',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        permissionMode: 'ask',
        plan: [{ type: 'run', command: [process.execPath, '-e', '1'], ask: true }],
      },
      routing: { mode: 'any' },
    });
    const decided = await firstValueFrom(
      events.pipe(
        filter((e): e is Extract<RunnerEvent, { type: 'approval.decided' }> => e.type === 'approval.decided'),
      ),
    );
    expect(decided).toMatchObject({
      decision: 'ask',
      reason: 'Every tool call asks (permission mode: ask).',
    });
  });
});
