import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
  type AgentEvent,
  type AgentPort,
} from '@coord/runner-core';
import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { eventually, tempDir } from './helpers/cli.js';
import { onCleanup } from './helpers/cleanup.js';

/** An agent whose tool prints 3 MB in one piece, as a real agent's tool result can. */
const loudAgent: AgentPort = {
  id: 'demo',
  displayName: 'Loud test agent',
  detect: async () => ({ id: 'demo', state: 'detected', version: 'test', enabled: true }),
  start: () => ({
    events$: of<AgentEvent[]>(
      { type: 'tool.output', toolCallId: 't1', stream: 'stdout', chunk: 'y'.repeat(3_000_000) },
      { type: 'turn.completed', status: 'completed', finalText: 'printed a lot' },
    ),
    result: Promise.resolve({
      status: 'completed',
      sessionId: null,
      summary: 'printed a lot',
      usage: null,
      error: null,
    }),
    respond: () => undefined,
    interrupt: async () => undefined,
    kill: () => undefined,
  }),
};

describe('agent output larger than the server takes in one event', () => {
  it('is cut to fit, said to be cut, and the job completes with every event on the server', async () => {
    const dir = tempDir('huge-output');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const runner = createRunner({
      client,
      identity: { machineId: 'loud-machine', name: 'loud', platform: 'linux', arch: 'x64', version: 'test' },
      agents: [loudAgent],
      local: createLocalWorkspaces({ root: join(dir.path, 'work') }),
      spool: createFileEventSpool(join(dir.path, 'spool')),
      timings: { claimWaitMs: 1_000 },
    });
    onCleanup(() => runner.stop());
    await runner.start();
    const job = await client.submitJob('local', {
      title: 'Print a lot',
      instructions: 'x',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'unused' }] },
      routing: { mode: 'any' },
    });
    const done = await eventually(async () => {
      const view = await client.getJob(job.id);
      return view.status === 'done' ? view : undefined;
    }, 15_000);
    const { events } = await client.getEvents(done.attempts[0]!.id, 0, 1000);
    const output = events.find(
      (e) => e.type === 'job.agent' && JSON.stringify(e.data).includes('tool.output'),
    );
    const chunk = (output!.data as { event: { chunk: string } }).event.chunk;
    expect(chunk.length).toBeLessThan(300_000);
    expect(chunk).toMatch(/more characters cut by the runner\]$/);
    expect(events.at(-1)!.type).toBe('job.finished');
  });
});
