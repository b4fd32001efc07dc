import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerTimings } from '../src/index.js';
import { claimNow, register, signIn, startServer, submit, waitFor } from './helpers.js';

/** A job whose running attempt asks something, as a runner would put it. */
async function waitingJob(request: unknown, timings: Partial<ServerTimings> = {}) {
  const { server, api } = await startServer(timings);
  const runner = await register(api);
  const jobId = await submit(api, { title: 'Clean up' });
  const { attempt } = await claimNow(api, runner);
  const put = await api('PUT', `/v1/attempts/${attempt.id}/interactions/int_1`, request, {
    runnerId: runner,
  });
  expect(put.status).toBe(200);
  const browser = await signIn(server);
  const interaction = async () =>
    (await api('GET', `/v1/attempts/${attempt.id}/interactions/int_1`)).body.interaction;
  const controls = async () =>
    (await api('POST', `/v1/attempts/${attempt.id}/lease`, { state: 'running' }, { runnerId: runner })).body
      .controls;
  const answer = (body: unknown, headers?: Record<string, string>) =>
    browser.call('POST', '/interactions/int_1/answer', body, headers);
  const complete = async () =>
    (
      await api(
        'POST',
        `/v1/attempts/${attempt.id}/complete`,
        { outcome: 'succeeded', lastSeq: 0, outputs: [] },
        { runnerId: runner },
      )
    ).status;
  return { server, api, browser, jobId, interaction, controls, answer, complete };
}

const approval = {
  kind: 'approval',
  toolName: 'Bash',
  summary: 'rm -rf build <dist>',
  input: { command: 'rm -rf build <dist>' },
};
const deny = { answer: { kind: 'approval', decision: 'deny', message: 'use the clean script' }, by: 'web' };

const secretQuestion = {
  kind: 'question',
  questions: [
    { id: 'key', text: 'The API key?', options: [], secret: true },
    { id: 'env', text: 'Which environment?', options: [] },
  ],
};
const secretAnswer = {
  answer: { kind: 'question', answers: { key: ['sk-live-web-typed-0123456789'], env: ['staging'] } },
  by: 'web',
};

describe('answering from the web app', () => {
  it("a secret answered on the web is masked too when the attempt's lease runs out", async () => {
    const { interaction, answer } = await waitingJob(secretQuestion, {
      leaseTtlMs: 300,
      sweepIntervalMs: 50,
    });
    expect((await answer(secretAnswer)).status).toBe(200);
    const masked = await waitFor(
      async () => ((await interaction()).answer.answers.key[0] === '[secret]' ? true : undefined),
      'the lost attempt to forget the secret',
    );
    expect(masked).toBe(true);
    expect((await interaction()).answer.answers.env).toEqual(['staging']);
  });

  it('a secret answered on the web is relayed while the attempt runs, then kept only masked', async () => {
    const { server, interaction, controls, answer, complete } = await waitingJob(secretQuestion);
    expect((await answer(secretAnswer)).status).toBe(200);
    // The runner must get it, on every renewal until the attempt ends (a lost response loses nothing).
    expect(await controls()).toContainEqual({
      type: 'interaction.answered',
      interactionId: 'int_1',
      answer: secretAnswer.answer,
    });
    expect(await complete()).toBe(200);
    expect((await interaction()).answer).toEqual({
      kind: 'question',
      answers: { key: ['[secret]'], env: ['staging'] },
    });
    await server.close();
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [readFileSync(join(dir, e.name), 'latin1')],
      );
    for (const text of files(server.store.dataDir)) expect(text).not.toContain('sk-live-web-typed');
  });

  it("a waiting approval is in the job's detail with its tool and input, as data", async () => {
    const { browser, jobId } = await waitingJob(approval);
    const { body } = await browser.json('GET', `/jobs/${jobId}/detail`);
    expect(body.interactions).toMatchObject([
      { id: 'int_1', answer: null, request: { kind: 'approval', toolName: 'Bash', input: approval.input } },
    ]);
  });

  it('a deny with a note reaches the runner, and a second answer is told it came too late', async () => {
    const { browser, jobId, interaction, controls, answer } = await waitingJob(approval);
    expect((await answer(deny)).status).toBe(200);
    expect(await interaction()).toMatchObject({
      answer: { kind: 'approval', decision: 'deny', message: 'use the clean script' },
      answeredBy: 'web',
    });
    expect(await controls()).toContainEqual({
      type: 'interaction.answered',
      interactionId: 'int_1',
      answer: { kind: 'approval', decision: 'deny', message: 'use the clean script' },
    });
    const again = await answer({ answer: { kind: 'approval', decision: 'allow_once' }, by: 'web' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string; details: unknown } }).error).toMatchObject({
      code: 'interaction.already_answered',
      details: { by: 'web' },
    });
    expect((await interaction()).answer.decision).toBe('deny');
    // Answered: the page shows it as answered, not as a question.
    const { body } = await browser.json('GET', `/jobs/${jobId}/detail`);
    expect(body.interactions[0].answer).toMatchObject({ decision: 'deny' });
  });

  it('refuses an answer without the CSRF token or our Origin, or not JSON, and changes nothing', async () => {
    const { server, interaction, answer } = await waitingJob(approval);
    const noToken = await answer(deny, { 'x-coord-csrf': '' });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('auth.forbidden');
    // Another session's token is no good for this one.
    const other = await signIn(server);
    expect((await answer(deny, { 'x-coord-csrf': other.csrf })).status).toBe(403);
    // A browser always sends Origin on a POST: one without it did not come from our page.
    expect((await answer(deny, { origin: '' })).status).toBe(403);
    expect((await answer(deny, { origin: 'https://evil.example' })).status).toBe(403);
    // A form post or no-cors fetch (CORS-simple types, no preflight) is not JSON.
    expect((await answer(JSON.stringify(deny), { 'content-type': 'text/plain' })).status).toBe(415);
    const bogus = await answer({ answer: { kind: 'approval', decision: 'maybe' }, by: 'web' });
    expect(bogus.status).toBe(400);
    const wrongKind = await answer({ answer: { kind: 'question', answers: { a: ['x'] } }, by: 'web' });
    expect(wrongKind.status).toBe(400);
    expect((await interaction()).answer).toBeNull();
  });

  it('a question is answered with its options, several for a multi-select, and free text', async () => {
    const { interaction, answer } = await waitingJob({
      kind: 'question',
      questions: [
        { id: 'db', text: 'Which database?', options: [{ label: 'Postgres' }, { label: 'SQLite' }] },
        {
          id: 'langs',
          text: 'Which languages?',
          options: [{ label: 'TS' }, { label: 'Go' }],
          multiSelect: true,
          allowFreeText: false,
        },
        { id: 'name', text: 'Project name?', options: [] },
      ],
    });
    const answers = { db: ['SQLite'], langs: ['TS', 'Go'], name: ['coord'] };
    const res = await answer({ answer: { kind: 'question', answers }, by: 'web' });
    expect(res.status).toBe(200);
    expect((await interaction()).answer).toEqual({ kind: 'question', answers });
  });

  it('a Ready job says in its detail why no runner took it', async () => {
    const { server, api } = await startServer();
    const jobId = await submit(api, { routing: { mode: 'mine' } });
    const browser = await signIn(server);
    const { body } = await browser.json('GET', `/jobs/${jobId}/detail`);
    expect(body.job.waiting.message).toMatch(/^No runner may take it/);
  });
});
