import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createCoordClient, type RunnerEvent } from '@coord/runner-core';
import { firstValueFrom, filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { eventually, tempDir } from './helpers/cli.js';
import { startTestRunner } from './helpers/runner.js';

describe('a claim whose answer is lost on the way', () => {
  it('is retried with its key, and the runner takes up the attempt at once, not after its lease', async () => {
    const dir = tempDir('lost-claim');
    onCleanup(dir.cleanup);
    // The default lease: without the key, the job would sit In Progress for a minute.
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());

    const claims: Array<{ claimKey?: string; answered: boolean }> = [];
    let dropped: string | null = null;
    // The server claims and answers; the connection drops before the runner reads the answer.
    const dropsFirstAssignment: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/claim')) return response;
      const request = JSON.parse(String(init?.body ?? '{}')) as { claimKey?: string };
      const answer = (await response.clone().json()) as { assignment: { attempt: { id: string } } | null };
      claims.push({ claimKey: request.claimKey, answered: answer.assignment !== null });
      if (answer.assignment && dropped === null) {
        dropped = answer.assignment.attempt.id;
        throw new TypeError('fetch failed: other side closed');
      }
      return response;
    };
    const { events } = await startTestRunner(server, join(dir.path, 'runner'), 'flaky', {
      client: createCoordClient({ baseUrl: server.url, token: server.token, fetch: dropsFirstAssignment }),
    });

    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const submitted = Date.now();
    const job = await client.submitJob('local', {
      title: 'Claimed twice over a bad line',
      instructions: 'say hi',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
      routing: { mode: 'any' },
    });
    await firstValueFrom(
      events.pipe(filter((e: RunnerEvent) => e.type === 'job.finished' && e.jobId === job.id)),
    );
    const view = await client.getJob(job.id);

    expect(view.status).toBe('done');
    // One attempt: the one whose answer was lost, taken up by the retry of the same claim.
    expect(view.attempts).toEqual([expect.objectContaining({ id: dropped, status: 'no_changes' })]);
    const lost = claims.findIndex((c) => c.answered);
    expect(claims[lost + 1]).toEqual({ claimKey: claims[lost]!.claimKey, answered: true });
    expect(claims[lost]!.claimKey).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    // Well inside the 60 s lease the attempt would otherwise have held.
    expect(Date.now() - submitted).toBeLessThan(20_000);
  });

  it('is requeued at once when the runner that never read it stops and signs off', async () => {
    const dir = tempDir('stop-lost-claim');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());

    // As a stop cuts the long poll, the server has just handed the claim a job: the answer is on
    // its way, and the runner, aborting, never reads it. Here the abort waits for that answer.
    let answeredAfterAbort: string | null = null;
    const abortedOverAnswer: typeof fetch = async (input, init) => {
      if (!String(input).endsWith('/claim')) return fetch(input, init);
      const { signal, ...rest } = init ?? {};
      const response = await fetch(input, rest);
      if (!signal?.aborted) return response;
      const answer = (await response.json()) as { assignment: { attempt: { id: string } } | null };
      answeredAfterAbort = answer.assignment?.attempt.id ?? null;
      throw new DOMException('This operation was aborted', 'AbortError');
    };
    const { runner } = await startTestRunner(server, join(dir.path, 'stopping'), 'stopping', {
      client: createCoordClient({ baseUrl: server.url, token: server.token, fetch: abortedOverAnswer }),
      timings: { claimWaitMs: 20_000 },
    });
    await eventually(() => (server.parkedClaims() === 1 ? true : undefined), 10_000);

    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const stopped = runner.stop();
    const job = await client.submitJob('local', {
      title: 'Claimed as the runner stopped',
      instructions: 'say hi',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
      routing: { mode: 'any' },
    });
    await stopped;
    expect(answeredAfterAbort).toMatch(/^att_/);

    // Ready again at once, not after its 60 s lease: the runner signed off holding nothing.
    const requeued = await client.getJob(job.id);
    expect(requeued.status).toBe('ready');
    expect(requeued.attempts).toEqual([
      expect.objectContaining({ id: answeredAfterAbort, status: 'stopped' }),
    ]);
    await startTestRunner(server, join(dir.path, 'next'), 'next');
    const done = await eventually(async () => {
      const view = await client.getJob(job.id);
      return view.status === 'done' ? view : undefined;
    }, 10_000);
    expect(done.attempts.map((a) => a.status)).toEqual(['stopped', 'no_changes']);
  });
});
