import { join } from 'node:path';
import { addMember, createAccount, startLocalServer, type LocalServer } from '@coord/local-server';
import {
  createCoordClient,
  createLocalWorkspaces,
  createMemoryEventSpool,
  createRunnerGroup,
  type AgentEvent,
  type AgentPort,
  type AgentResult,
  type ConnectionOptions,
  type RepositoryWorkspacePort,
  type RunnerEvent,
  type RunnerGroup,
} from '@coord/runner-core';
import type { AgentId, JobSubmission, JobView } from '@coord/runner-protocol';
import { ReplaySubject, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { eventually, tempDir } from './helpers/cli.js';

/** Waits until `check` holds (`eventually` waits for a value, and `false` is one). */
const until = (check: () => boolean | Promise<boolean>, timeoutMs = 30_000) =>
  eventually(async () => ((await check()) ? true : undefined), timeoutMs);

/**
 * One runner, several accounts and servers (issue 7.6): real local servers, a runner group with
 * its connections, and agents the test holds until it lets them finish, so what runs at once is
 * seen exactly.
 */

/** Agents whose runs wait for `finish(jobTitle)`; `running` is what runs now, `peak` the most at once. */
function heldAgents(ids: AgentId[]) {
  const release = new Map<string, () => void>();
  const running = new Map<AgentId, number>();
  const peak = { total: 0, byAgent: new Map<AgentId, number>() };
  const started: string[] = [];
  const total = () => [...running.values()].reduce((a, b) => a + b, 0);
  const ports: AgentPort[] = ids.map((id) => ({
    id,
    displayName: `Held ${id}`,
    detect: async () => ({ id, state: 'detected', version: 'test', enabled: true }),
    start: (input) => {
      const events$ = new Subject<AgentEvent>();
      let settle!: (result: AgentResult) => void;
      const result = new Promise<AgentResult>((resolve) => (settle = resolve));
      running.set(id, (running.get(id) ?? 0) + 1);
      peak.total = Math.max(peak.total, total());
      peak.byAgent.set(id, Math.max(peak.byAgent.get(id) ?? 0, running.get(id)!));
      started.push(input.title);
      const end = (status: AgentResult['status']) => {
        if (!release.delete(input.title)) return;
        running.set(id, running.get(id)! - 1);
        events$.next({
          type: 'turn.completed',
          status: status === 'completed' ? 'completed' : 'interrupted',
        });
        events$.complete();
        settle({ status, sessionId: null, summary: `did ${input.title}`, usage: null, error: null });
      };
      release.set(input.title, () => end('completed'));
      setTimeout(
        () =>
          events$.next({ type: 'message.completed', role: 'assistant', text: `working on ${input.title}` }),
        0,
      );
      return {
        events$,
        result,
        respond: () => undefined,
        interrupt: async () => end('interrupted'),
        kill: () => end('interrupted'),
      };
    },
  }));
  return {
    ports,
    started,
    peak,
    running: (title: string) => release.has(title),
    finish: (title: string) => release.get(title)?.(),
    finishAll: () => [...release.values()].forEach((end) => end()),
  };
}

async function server(dir: string, name: string): Promise<LocalServer> {
  const started = await startLocalServer({ dataDir: join(dir, name), timings: { claimWaitMs: 2_000 } });
  onCleanup(() => started.close());
  return started;
}

function connection(
  name: string,
  on: LocalServer,
  token: string,
  dir: string,
  agents: AgentPort[],
  extra: Partial<ConnectionOptions['runner']> = {},
): ConnectionOptions {
  return {
    name,
    server: on.url,
    runner: {
      client: createCoordClient({ baseUrl: on.url, token }),
      identity: {
        machineId: 'shared-box-machine',
        name: 'shared-box',
        platform: 'linux',
        arch: 'x64',
        version: 'test',
      },
      agents,
      local: createLocalWorkspaces({ root: join(dir, `work-${name}`) }),
      spool: createMemoryEventSpool(),
      eventBatch: { intervalMs: 20 },
      ...extra,
    },
  };
}

async function startGroup(options: Parameters<typeof createRunnerGroup>[0]) {
  const group = createRunnerGroup(options);
  const events = new ReplaySubject<RunnerEvent>();
  group.events$.subscribe(events);
  const seen: RunnerEvent[] = [];
  group.events$.subscribe((event) => seen.push(event));
  onCleanup(() => group.stop({ mode: 'force' }));
  await group.start();
  return { group, seen };
}

const job = (title: string, over: Partial<JobSubmission> = {}): JobSubmission => ({
  title,
  instructions: title,
  context: { type: 'local' },
  agent: { id: 'claude-code' },
  routing: { mode: 'mine' },
  ...over,
});

async function status(on: LocalServer, token: string, id: string): Promise<JobView> {
  return createCoordClient({ baseUrl: on.url, token }).getJob(id);
}

/** Which connection claimed each job, from the group's own view of its attempts. */
function claimedBy(group: RunnerGroup, seen: RunnerEvent[]) {
  return (title: string) => {
    const claim = seen.find((e) => e.type === 'job.claimed' && e.title === title);
    if (!claim || claim.type !== 'job.claimed') return null;
    return (
      group.connections.find((c) => c.runner.activeAttempts().some((a) => a.attemptId === claim.attemptId))
        ?.name ?? 'finished'
    );
  };
}

describe('one runner, several accounts and servers', { timeout: 90_000 }, () => {
  it('routes mine / team / any / named runner to the right connection, within one global limit', async () => {
    const dir = tempDir('many-accounts');
    onCleanup(dir.cleanup);
    const main = await server(dir.path, 'main');
    const second = await server(dir.path, 'second');
    // alice and bob are this runner's accounts; carol submits but has no runner.
    const alice = createAccount(main.store, { name: 'alice', workspaces: ['alpha', 'team'] });
    const bob = createAccount(main.store, { name: 'bob', workspaces: ['beta', 'team'] });
    const carol = createAccount(main.store, { name: 'carol', workspaces: ['team'] });
    addMember(main.store, 'gamma', carol.id);
    const agents = heldAgents(['claude-code']);
    const { group, seen } = await startGroup({
      capacity: 2,
      connections: [
        connection('alice', main, alice.token, dir.path, agents.ports),
        connection('bob', main, bob.token, dir.path, agents.ports),
        connection('second', second, second.token, dir.path, agents.ports),
      ],
    });
    const by = claimedBy(group, seen);
    const submit = (
      as: { token: string },
      workspace: string,
      title: string,
      over: Partial<JobSubmission> = {},
    ) => createCoordClient({ baseUrl: main.url, token: as.token }).submitJob(workspace, job(title, over));

    const aliceMine = await submit(alice, 'alpha', 'alice mine');
    const bobMine = await submit(bob, 'beta', 'bob mine');
    await until(() => agents.running('alice mine') && agents.running('bob mine'));
    expect(by('alice mine')).toBe('alice');
    expect(by('bob mine')).toBe('bob');

    // The two slots are full: nothing more runs, on any connection or server.
    const secondAny = await createCoordClient({ baseUrl: second.url, token: second.token }).submitJob(
      'local',
      job('second any', { routing: { mode: 'any' } }),
    );
    const carolTeam = await submit(carol, 'team', 'carol team', { routing: { mode: 'team' } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(agents.started).toEqual(['alice mine', 'bob mine']);
    expect(agents.peak.total).toBe(2);

    agents.finish('alice mine');
    agents.finish('bob mine');
    await until(() => agents.running('second any') && agents.running('carol team'));
    expect(by('second any')).toBe('second');
    expect(['alice', 'bob']).toContain(by('carol team'));

    // Named runner: carol routes a job to this machine by its name; both accounts may take it.
    const carolNamed = await submit(carol, 'team', 'carol named', {
      routing: { mode: 'runner', runnerName: 'shared-box' },
    });
    // Not taken: carol's own jobs (no runner of hers), a workspace neither account is in, an agent nobody has.
    const carolMine = await submit(carol, 'team', 'carol mine');
    const carolElsewhere = await submit(carol, 'gamma', 'carol gamma', { routing: { mode: 'team' } });
    const noAgent = await submit(alice, 'alpha', 'needs gemini', { agent: { id: 'gemini' } });
    agents.finish('second any');
    agents.finish('carol team');
    await until(() => agents.running('carol named'));
    expect(['alice', 'bob']).toContain(by('carol named'));
    agents.finish('carol named');

    for (const [token, id] of [
      [alice.token, aliceMine.id],
      [bob.token, bobMine.id],
      [carol.token, carolTeam.id],
      [carol.token, carolNamed.id],
    ] as const)
      await until(async () => (await status(main, token, id)).status === 'done');
    await until(async () => (await status(second, second.token, secondAny.id)).status === 'done');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [token, id, reason] of [
      [carol.token, carolMine.id, /routed to/],
      [carol.token, carolElsewhere.id, /routed to/],
      [alice.token, noAgent.id, /gemini|agent/i],
    ] as const) {
      const view = await status(main, token, id);
      expect(view.status).toBe('ready');
      expect(view.waiting?.message).toMatch(reason);
    }
    expect(agents.peak.total).toBe(2);
    // Each connection said its own status, by name.
    const named = new Set(
      seen.flatMap((e) => (e.type === 'runner.status' && e.connection ? [e.connection] : [])),
    );
    expect(named).toEqual(new Set(['alice', 'bob', 'second']));
  });

  it('keeps a per-agent limit across connections while other agents use the free slots', async () => {
    const dir = tempDir('agent-limits');
    onCleanup(dir.cleanup);
    const one = await server(dir.path, 'one');
    const two = await server(dir.path, 'two');
    const agents = heldAgents(['claude-code', 'codex']);
    await startGroup({
      capacity: 3,
      agentLimits: { codex: 1 },
      connections: [
        connection('one', one, one.token, dir.path, agents.ports),
        connection('two', two, two.token, dir.path, agents.ports),
      ],
    });
    for (const [on, title] of [
      [one, 'codex 1'],
      [two, 'codex 2'],
      [one, 'codex 3'],
    ] as const)
      await createCoordClient({ baseUrl: on.url, token: on.token }).submitJob(
        'local',
        job(title, { agent: { id: 'codex' } }),
      );
    await until(() => agents.started.length === 1);
    await createCoordClient({ baseUrl: two.url, token: two.token }).submitJob('local', job('demo 1'));
    await createCoordClient({ baseUrl: one.url, token: one.token }).submitJob('local', job('demo 2'));
    await until(() => agents.running('demo 1') && agents.running('demo 2'));
    expect(agents.started.filter((t) => t.startsWith('codex'))).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      const codex = agents.started.filter((t) => t.startsWith('codex') && agents.running(t));
      expect(codex).toHaveLength(1);
      agents.finish(codex[0]!);
      if (i < 2) await until(() => agents.started.filter((t) => t.startsWith('codex')).length === i + 2);
    }
    expect(agents.peak.byAgent.get('codex')).toBe(1);
    expect(agents.peak.total).toBe(3);
    agents.finishAll();
  });

  it('shares one slot fairly: a busy server does not starve a quiet one', async () => {
    const dir = tempDir('fair-claims');
    onCleanup(dir.cleanup);
    const busy = await server(dir.path, 'busy');
    const quiet = await server(dir.path, 'quiet');
    const agents = heldAgents(['claude-code']);
    for (let i = 1; i <= 5; i++)
      await createCoordClient({ baseUrl: busy.url, token: busy.token }).submitJob('local', job(`busy ${i}`));
    await createCoordClient({ baseUrl: quiet.url, token: quiet.token }).submitJob('local', job('quiet 1'));
    await createCoordClient({ baseUrl: quiet.url, token: quiet.token }).submitJob('local', job('quiet 2'));
    await startGroup({
      capacity: 1,
      connections: [
        connection('busy', busy, busy.token, dir.path, agents.ports),
        connection('quiet', quiet, quiet.token, dir.path, agents.ports),
      ],
    });
    for (let done = 0; done < 7; done++) {
      await until(() => agents.started.length === done + 1, 10_000);
      expect(agents.peak.total).toBe(1);
      agents.finish(agents.started[done]!);
    }
    // Both quiet jobs ran among the first four, not after the five busy ones.
    const firstFour = agents.started.slice(0, 4);
    expect(firstFour.filter((t) => t.startsWith('quiet'))).toHaveLength(2);
  });

  it('a job waiting on a lock lends its slot: another job runs meanwhile', async () => {
    const dir = tempDir('lock-slot');
    onCleanup(dir.cleanup);
    const on = await server(dir.path, 'lock');
    const agents = heldAgents(['claude-code']);
    let openLock!: () => void;
    const lock = new Promise<void>((resolve) => (openLock = resolve));
    const waited: string[] = [];
    // Stands in for the git package's mirror lock: its prepare waits on `lock` the way a job
    // queued behind another job's mirror fetch does (through `whileWaiting`).
    const repositories: RepositoryWorkspacePort = {
      prepare: async (input) => {
        const wait = () => lock.then(() => void waited.push(input.job.title));
        await (input.whileWaiting ? input.whileWaiting(wait) : wait());
        const workDir = join(dir.path, 'repo-work', input.attempt.id);
        await import('node:fs/promises').then((fs) => fs.mkdir(workDir, { recursive: true }));
        return { workDir, branch: 'coord/job', baseBranch: 'main', baseCommit: '0'.repeat(40) };
      },
      publish: async () => ({ kind: 'no_changes' }),
      release: async () => undefined,
    };
    await startGroup({
      capacity: 1,
      connections: [connection('lock', on, on.token, dir.path, agents.ports, { repositories })],
    });
    const client = createCoordClient({ baseUrl: on.url, token: on.token });
    const repoJob = await client.submitJob(
      'local',
      job('repository job', {
        context: {
          type: 'repository',
          repository: { cloneUrl: 'https://example.com/o/r.git', owner: 'o', name: 'r' },
        },
      }),
    );
    await until(async () => (await client.getJob(repoJob.id)).status === 'in_progress');
    await client.submitJob('local', job('local job'));
    // The repository job waits on its lock; the local job gets the slot and runs.
    await until(() => agents.running('local job'));
    expect(waited).toEqual([]);
    openLock();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Its lock is free, but the slot is the local job's until it ends.
    expect(agents.running('repository job')).toBe(false);
    agents.finish('local job');
    await until(() => agents.running('repository job'));
    expect(agents.peak.total).toBe(1);
    agents.finish('repository job');
    await until(async () => (await client.getJob(repoJob.id)).status !== 'in_progress');
  });
});
