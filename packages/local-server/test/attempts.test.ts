import { eventPageSchema, interactionResponseSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { claimNow, register, startServer, submit, type Api } from './helpers.js';

const ev = (seq: number, text = `e${seq}`) => ({
  seq,
  at: new Date().toISOString(),
  type: 'job.agent',
  data: { text },
});

async function holding(api: Api, overrides: Parameters<typeof submit>[1] = {}) {
  const runner = await register(api);
  const jobId = await submit(api, overrides);
  const assignment = await claimNow(api, runner);
  return { runner, jobId, attemptId: assignment.attempt.id as string };
}

describe('events', () => {
  it('are idempotent and acked up to the highest contiguous seq', async () => {
    const { api } = await startServer();
    const { runner, attemptId } = await holding(api);
    const post = (events: unknown[]) =>
      api('POST', `/v1/attempts/${attemptId}/events`, { events }, { runnerId: runner });
    expect((await post([ev(1), ev(2)])).body).toEqual({ ack: 2 });
    expect((await post([ev(4), ev(5)])).body).toEqual({ ack: 2 }); // gap at 3
    expect((await post([ev(2, 'dup'), ev(1, 'dup')])).body).toEqual({ ack: 2 }); // duplicates ignored
    expect((await post([ev(6), ev(3)])).body).toEqual({ ack: 6 }); // out of order fills the gap
    const page = eventPageSchema.parse(
      (await api('GET', `/v1/attempts/${attemptId}/events?after=0&limit=100`)).body,
    );
    expect(page.ack).toBe(6);
    expect(page.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(page.events[0]!.data).toEqual({ text: 'e1' }); // the first write won
    const tail = (await api('GET', `/v1/attempts/${attemptId}/events?after=4&limit=1`)).body;
    expect(tail.events.map((e: { seq: number }) => e.seq)).toEqual([5]);
    const bad = await post([{ seq: 0, at: 'yesterday', type: '', data: [] }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(['events.0.seq', 'events.0.at', 'events.0.type', 'events.0.data']),
    );
    expect((await post([])).status).toBe(400);
  });

  it('are still accepted from the holder after completion', async () => {
    const { api } = await startServer();
    const { runner, attemptId } = await holding(api);
    await api('POST', `/v1/attempts/${attemptId}/events`, { events: [ev(1)] }, { runnerId: runner });
    await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      { outcome: 'succeeded', lastSeq: 1 },
      { runnerId: runner },
    );
    const late = await api(
      'POST',
      `/v1/attempts/${attemptId}/events`,
      { events: [ev(2)] },
      { runnerId: runner },
    );
    expect(late.body).toEqual({ ack: 2 });
  });
});

describe('interactions', () => {
  const approval = {
    kind: 'approval',
    toolName: 'Bash',
    summary: 'rm -rf build',
    input: { command: 'rm -rf build' },
  };

  it('are created idempotently by the runner; a different request under the same id conflicts', async () => {
    const { api } = await startServer();
    const { runner, attemptId, jobId } = await holding(api);
    const path = `/v1/attempts/${attemptId}/interactions/int-1`;
    const first = await api('PUT', path, approval, { runnerId: runner });
    expect(first.status).toBe(200);
    const view = interactionResponseSchema.parse(first.body).interaction;
    expect(view).toMatchObject({ id: 'int-1', attemptId, jobId, answer: null, answeredBy: null });
    expect((await api('PUT', path, approval, { runnerId: runner })).body).toEqual(first.body);
    const conflict = await api('PUT', path, { ...approval, summary: 'other' }, { runnerId: runner });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('interaction.conflict');
    expect((await api('GET', path)).body).toEqual(first.body);
    expect((await api('GET', `/v1/attempts/${attemptId}/interactions/int-none`)).status).toBe(404);
  });

  it('the first answer wins; a later one gets 409 with the winner; the runner hears it on renewal', async () => {
    const { api } = await startServer();
    const { runner, attemptId } = await holding(api);
    await api('PUT', `/v1/attempts/${attemptId}/interactions/int-2`, approval, { runnerId: runner });
    const webAnswer = { kind: 'approval', decision: 'allow_once' };
    const [a, b] = await Promise.all([
      api('POST', '/v1/interactions/int-2/answer', { answer: webAnswer, by: 'web' }),
      api('POST', '/v1/interactions/int-2/answer', {
        answer: { kind: 'approval', decision: 'deny' },
        by: 'runner',
      }),
    ]);
    const winner = a.status === 200 ? a : b;
    const loser = a.status === 200 ? b : a;
    expect(winner.status).toBe(200);
    expect(loser.status).toBe(409);
    expect(loser.body.error.code).toBe('interaction.already_answered');
    expect(loser.body.error.details).toEqual({
      answer: winner.body.interaction.answer,
      by: winner.body.interaction.answeredBy,
    });
    const renewal = await api(
      'POST',
      `/v1/attempts/${attemptId}/lease`,
      { state: 'awaiting_input' },
      { runnerId: runner },
    );
    expect(renewal.body.controls).toEqual([
      { type: 'interaction.answered', interactionId: 'int-2', answer: winner.body.interaction.answer },
    ]);
  });

  it('rejects an answer of the wrong kind', async () => {
    const { api } = await startServer();
    const { runner, attemptId } = await holding(api);
    await api('PUT', `/v1/attempts/${attemptId}/interactions/int-3`, approval, { runnerId: runner });
    const res = await api('POST', '/v1/interactions/int-3/answer', {
      answer: { kind: 'question', answers: {} },
      by: 'web',
    });
    expect(res.status).toBe(400);
    expect(
      (await api('POST', '/v1/interactions/int-3/answer', { answer: { kind: 'timeout' }, by: 'runner' }))
        .status,
    ).toBe(200);
  });

  it('closes a withdrawn request of either kind, and keeps it closed', async () => {
    const { api } = await startServer();
    const { runner, attemptId } = await holding(api);
    await api('PUT', `/v1/attempts/${attemptId}/interactions/int-4`, approval, { runnerId: runner });
    const withdrawn = { answer: { kind: 'withdrawn' }, by: 'runner' };
    const res = await api('POST', '/v1/interactions/int-4/answer', withdrawn, { runnerId: runner });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ interaction: { answer: { kind: 'withdrawn' } } });
    const late = await api('POST', '/v1/interactions/int-4/answer', {
      answer: { kind: 'approval', decision: 'allow_once' },
      by: 'web',
    });
    expect(late.status).toBe(409);
  });
});

describe('completion', () => {
  const cases: [string, Record<string, unknown>, Parameters<typeof submit>[1], string][] = [
    ['succeeded local', { outcome: 'succeeded', outputs: ['out.txt'] }, {}, 'done'],
    [
      'succeeded repository',
      {
        outcome: 'succeeded',
        pullRequest: { url: 'http://127.0.0.1/pr/1', number: 1, branch: 'coord/job-1' },
      },
      {
        context: {
          type: 'repository',
          repository: { cloneUrl: 'https://example.com/o/r.git', owner: 'o', name: 'r' },
        },
      },
      'awaiting_review',
    ],
    ['no_changes, local', { outcome: 'no_changes' }, {}, 'done'],
    [
      'no_changes, repository',
      { outcome: 'no_changes' },
      {
        context: {
          type: 'repository',
          repository: { cloneUrl: 'https://example.com/o/r.git', owner: 'o', name: 'r' },
        },
      },
      'awaiting_review',
    ],
    [
      'failed, permanent',
      { outcome: 'failed', error: { code: 'agent.missing', message: 'no', retryable: false } },
      {},
      'failed',
    ],
    [
      'failed, retryable',
      { outcome: 'failed', error: { code: 'agent.crash', message: 'boom', retryable: true } },
      {},
      'ready',
    ],
    [
      'failed, retryable, budget spent',
      { outcome: 'failed', error: { code: 'x', message: 'y', retryable: true } },
      { maxAttempts: 1 },
      'failed',
    ],
    ['cancelled', { outcome: 'cancelled' }, {}, 'cancelled'],
    ['stopped', { outcome: 'stopped', sessionId: 's' }, {}, 'ready'],
  ];
  for (const [name, body, job, status] of cases) {
    it(`${name} -> ${status}`, async () => {
      const { api } = await startServer();
      const { runner, attemptId, jobId } = await holding(api, job);
      const request = { summary: 'did it', lastSeq: 0, ...body };
      const res = await api('POST', `/v1/attempts/${attemptId}/complete`, request, { runnerId: runner });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ job: { id: jobId, status } });
      // Idempotent: the same request again gets the same answer.
      expect(
        (await api('POST', `/v1/attempts/${attemptId}/complete`, request, { runnerId: runner })).body,
      ).toEqual(res.body);
      const view = (await api('GET', `/v1/jobs/${jobId}`)).body.job;
      expect(view.status).toBe(status);
      expect(view.attempts[0]).toMatchObject({ status: body.outcome, summary: 'did it' });
    });
  }

  it('stores the events a completion carries before it completes, and answers a repeat the same', async () => {
    const { api } = await startServer();
    const { runner, attemptId, jobId } = await holding(api);
    await api('POST', `/v1/attempts/${attemptId}/events`, { events: [ev(1)] }, { runnerId: runner });
    const request = { outcome: 'no_changes', lastSeq: 3, events: [ev(2), ev(3)] };
    const res = await api('POST', `/v1/attempts/${attemptId}/complete`, request, { runnerId: runner });
    expect(res.status).toBe(200);
    const page = eventPageSchema.parse((await api('GET', `/v1/attempts/${attemptId}/events`)).body);
    expect(page.events.map((e) => [e.seq, e.data['text']])).toEqual([
      [1, 'e1'],
      [2, 'e2'],
      [3, 'e3'],
    ]);
    // The answer was lost and the runner sends it again, events and all; or without them.
    const again = await api('POST', `/v1/attempts/${attemptId}/complete`, request, { runnerId: runner });
    expect(again.body).toEqual(res.body);
    const { events: _carried, ...alone } = request;
    const bare = await api('POST', `/v1/attempts/${attemptId}/complete`, alone, { runnerId: runner });
    expect(bare.body).toEqual(res.body);
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.attempts[0].eventsAcked).toBe(3);
  });

  it('refuses a completion carrying a bad event, and completes nothing', async () => {
    const { api } = await startServer();
    const { runner, attemptId, jobId } = await holding(api);
    const bad = await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      { outcome: 'no_changes', lastSeq: 1, events: [{ ...ev(1), data: { text: 'x'.repeat(300 * 1024) } }] },
      { runnerId: runner },
    );
    expect(bad.status).toBe(400);
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.attempts[0]).toMatchObject({
      status: 'active',
      eventsAcked: 0,
    });
  });

  it('a different completion, or one from another runner, gets lease.lost; missing events get events.gap', async () => {
    const { api } = await startServer();
    const { runner, attemptId } = await holding(api);
    const other = await register(api, { machineId: 'machine-intruder' });
    const gap = await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      { outcome: 'succeeded', lastSeq: 3 },
      { runnerId: runner },
    );
    expect(gap.status).toBe(409);
    expect(gap.body.error).toMatchObject({ code: 'events.gap', details: { ack: 0 } });
    const intruder = await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      { outcome: 'succeeded', lastSeq: 0 },
      { runnerId: other },
    );
    expect(intruder.body.error.code).toBe('lease.lost');
    await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      { outcome: 'succeeded', lastSeq: 0 },
      { runnerId: runner },
    );
    const changed = await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      { outcome: 'no_changes', lastSeq: 0 },
      { runnerId: runner },
    );
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('lease.lost');
    const failedWithoutError = await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      { outcome: 'failed', lastSeq: 0 },
      { runnerId: runner },
    );
    expect(failedWithoutError.status).toBe(400);
    expect(failedWithoutError.body.error.issues[0].path).toBe('error');
  });

  it('a revision attempt learns the branch of the earlier PR', async () => {
    const { api } = await startServer();
    const { runner, attemptId, jobId } = await holding(api);
    await api(
      'POST',
      `/v1/attempts/${attemptId}/complete`,
      {
        outcome: 'failed',
        lastSeq: 0,
        pullRequest: { url: 'http://127.0.0.1/pr/7', number: 7, branch: 'coord/fix-7' },
        error: { code: 'net', message: 'x', retryable: true },
      },
      { runnerId: runner },
    );
    const next = await claimNow(api, runner);
    expect(next.attempt).toMatchObject({ jobId, number: 2, branch: 'coord/fix-7' });
  });
});
