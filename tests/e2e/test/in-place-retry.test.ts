import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createCoordClient, type RunnerEvent } from '@coord/runner-core';
import type { JobView } from '@coord/runner-protocol';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { startTestRunner } from './helpers/runner.js';
import { eventually, tempDir } from './helpers/cli.js';

/**
 * A run step that kills the demo agent (its parent) the first time only: the marker it leaves in
 * the work directory is still there when the agent is retried in place.
 */
const crashOnce = [
  process.execPath,
  '-e',
  'const fs=require("fs");if(!fs.existsSync("crashed-once")){fs.writeFileSync("crashed-once","");process.kill(process.ppid,"SIGKILL")}else console.log("second try")',
];

describe('in-place retries', () => {
  it('a crashed agent is retried by the same runner in the same attempt and work dir, resuming its session', async () => {
    const dir = tempDir('in-place-retry');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const { events } = await startTestRunner(server, dir.path, 'retry', {
      agentRetries: { backoff: { minDelayMs: 100, maxDelayMs: 500 } },
    });

    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const job = await client.submitJob('local', {
      title: 'Survive a crash',
      instructions: 'Crash once, then write the notes.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          { type: 'say', text: 'starting' },
          { type: 'run', command: crashOnce },
          { type: 'write', path: 'notes.md', content: 'made it\n' },
        ],
      },
      routing: { mode: 'any' },
    });

    const view = await eventually(async (): Promise<JobView | undefined> => {
      const j = await client.getJob(job.id);
      return j.status === 'done' || j.status === 'failed' ? j : undefined;
    }, 30_000);
    expect(view.status).toBe('done');
    // One attempt: the crash was retried in place, not requeued.
    expect(view.attempts).toHaveLength(1);
    const attempt = view.attempts[0]!;
    expect(attempt.status).toBe('succeeded');

    const stored = (await client.getEvents(attempt.id, 0, 1000)).events;
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    // The retry and its reason are in the job's history on the server.
    const retries = stored.filter((e) => e.type === 'job.retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]!.data).toMatchObject({ retry: 1, reason: { code: 'agent.crashed', retryable: true } });
    // The second try resumed the first one's session.
    const sessions = stored.flatMap((e) => {
      const event = (e.data as { event?: { type: string; sessionId?: string; resumed?: boolean } }).event;
      return e.type === 'job.agent' && event?.type === 'session.started' ? [event] : [];
    });
    expect(sessions).toHaveLength(2);
    expect(sessions[1]).toMatchObject({ sessionId: sessions[0]!.sessionId, resumed: true });
    expect(retries[0]!.data).toMatchObject({ resumeSessionId: sessions[0]!.sessionId });
    const states = stored.flatMap((e) =>
      e.type === 'job.state' ? [(e.data as { state: string }).state] : [],
    );
    expect(states).toEqual(['preparing', 'running', 'retrying', 'running', 'publishing', 'reporting']);

    // The same work directory: the first try's marker was there for the second.
    const finished = await firstValueFrom(
      events.pipe(
        filter((e): e is Extract<RunnerEvent, { type: 'job.finished' }> => e.type === 'job.finished'),
      ),
    );
    expect(finished.outputs).toEqual(expect.arrayContaining(['notes.md', 'crashed-once']));
    const output = stored.find(
      (e) => e.type === 'job.agent' && JSON.stringify(e.data).includes('second try'),
    );
    expect(output).toBeDefined();
  });
});
