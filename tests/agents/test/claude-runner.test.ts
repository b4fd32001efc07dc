import path from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createClaudeCodeAgent } from '@coord/runner-agents';
import {
  createCoordClient,
  createLocalWorkspaces,
  createMemoryEventSpool,
  createRunner,
  type RunnerEvent,
} from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { filter, firstValueFrom, ReplaySubject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../src/fake-anthropic.js';
import { pinnedBin, tempDir } from './harness.js';

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not there after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const first = <K extends RunnerEvent['type']>(events: ReplaySubject<RunnerEvent>, type: K) =>
  firstValueFrom(events.pipe(filter((e): e is Extract<RunnerEvent, { type: K }> => e.type === type)));

describe('a Claude Code job through the runner and the local server (real CLI, fake model)', () => {
  it('asks the web for approval, runs the command, and delivers the file with usage and session', async () => {
    const fake = await startFakeAnthropic([
      {
        kind: 'tool',
        name: 'Bash',
        input: { command: 'echo from-claude > result.txt', description: 'write it' },
      },
      { kind: 'text', text: 'result.txt is written.', words: true },
    ]);
    stops.push(() => fake.close());
    const dir = await tempDir('coord-claude-runner-');
    const server = await startLocalServer({ dataDir: path.join(dir, 'server') });
    stops.push(() => server.close());
    const agent = createClaudeCodeAgent({
      parentEnv: {
        PATH: `${pinnedBin}:/usr/bin:/bin`,
        HOME: path.join(dir, 'home'),
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_API_KEY: 'sk-test-dummy-key',
      },
    });
    const runner = createRunner({
      client: createCoordClient({ baseUrl: server.url, token: server.token }),
      identity: {
        machineId: 'claude-machine',
        name: 'claude-box',
        platform: 'linux',
        arch: 'x64',
        version: 'test',
      },
      agents: [agent],
      local: createLocalWorkspaces({ root: path.join(dir, 'work') }),
      spool: createMemoryEventSpool(),
      timings: { leaseRenewMs: 60_000, claimWaitMs: 1_000 },
      eventBatch: { intervalMs: 20 },
    });
    const events = new ReplaySubject<RunnerEvent>();
    runner.events$.subscribe(events);
    stops.push(() => runner.stop());
    await runner.start();

    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const job = await client.submitJob('local', {
      title: 'Write the result',
      instructions: 'Write result.txt.',
      context: { type: 'local' },
      agent: { id: 'claude-code' },
      routing: { mode: 'any' },
    });
    const requested = await first(events, 'interaction.requested');
    expect(requested.request).toMatchObject({ kind: 'approval', toolName: 'Bash' });
    // Answered from the web app, as a person would.
    const answer = await fetch(`${server.url}/v1/interactions/${requested.interactionId}/answer`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.token}`,
        'content-type': 'application/json',
        'coord-protocol': '1',
      },
      body: JSON.stringify({ answer: { kind: 'approval', decision: 'allow_once' }, by: 'web' }),
    });
    expect(answer.status).toBe(200);

    const finished = await first(events, 'job.finished');
    expect(finished).toMatchObject({
      outcome: 'succeeded',
      summary: 'result.txt is written.',
      outputs: ['result.txt'],
    });
    // job.finished is the runner's view; the completion reaches the server right after.
    const view = await eventually(async () => {
      const response = await fetch(`${server.url}/v1/jobs/${job.id}`, {
        headers: { authorization: `Bearer ${server.token}`, 'coord-protocol': '1' },
      });
      const body = (await response.json()) as { job: JobView };
      return body.job.status === 'done' ? body.job : undefined;
    });
    const attempt = view.attempts[0]!;
    expect(attempt.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(attempt.usage?.costUsd).toBeGreaterThan(0);

    // The answer streamed as it was written (partial messages), then came whole, marked so.
    const stored = await fetch(`${server.url}/v1/attempts/${attempt.id}/events?after=0&limit=500`, {
      headers: { authorization: `Bearer ${server.token}`, 'coord-protocol': '1' },
    });
    const agentEvents = (
      (await stored.json()) as { events: { type: string; data: { event?: unknown } }[] }
    ).events
      .filter((e) => e.type === 'job.agent')
      .map((e) => e.data.event as { type: string; channel?: string; text?: string; streamed?: boolean });
    const streamed = agentEvents.filter((e) => e.type === 'message.delta' && e.channel === 'text');
    expect(streamed.map((e) => e.text).join('')).toBe('result.txt is written.');
    expect(agentEvents.filter((e) => e.type === 'message.completed').at(-1)).toMatchObject({
      text: 'result.txt is written.',
      streamed: true,
    });
  });
});
