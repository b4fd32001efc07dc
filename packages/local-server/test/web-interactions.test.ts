import { describe, expect, it } from 'vitest';
import { claimNow, register, signIn, startServer, submit } from './helpers.js';

/** A job whose running attempt asks something, as a runner would put it. */
async function waitingJob(request: unknown) {
  const { server, api } = await startServer();
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
  return { server, api, browser, jobId, interaction, controls };
}

const approval = {
  kind: 'approval',
  toolName: 'Bash',
  summary: 'rm -rf build <dist>',
  input: { command: 'rm -rf build <dist>' },
};

describe('answering from the web page', () => {
  it('shows a waiting approval with its tool and input, and stops reloading while it waits', async () => {
    const { browser, jobId } = await waitingJob(approval);
    const html = await (await browser.get(`/jobs/${jobId}`)).text();
    expect(html).toContain('Approval needed: Bash');
    expect(html).toContain('rm -rf build &lt;dist&gt;');
    expect(html).toContain('action="/interactions/int_1/answer"');
    expect(html).toContain('value="allow_session"');
    expect(html).not.toContain('http-equiv="refresh"');
  });

  it('a deny with a note reaches the runner, and a second answer is told it came too late', async () => {
    const { browser, jobId, interaction, controls } = await waitingJob(approval);
    const denied = await browser.post('/interactions/int_1/answer', {
      csrf: browser.csrf,
      decision: 'deny',
      message: 'use the clean script',
    });
    expect(denied.status).toBe(303);
    expect(denied.headers.get('location')).toBe(`/jobs/${jobId}`);
    expect(await interaction()).toMatchObject({
      answer: { kind: 'approval', decision: 'deny', message: 'use the clean script' },
      answeredBy: 'web',
    });
    expect(await controls()).toContainEqual({
      type: 'interaction.answered',
      interactionId: 'int_1',
      answer: { kind: 'approval', decision: 'deny', message: 'use the clean script' },
    });
    const again = await browser.post('/interactions/int_1/answer', {
      csrf: browser.csrf,
      decision: 'allow_once',
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already answered');
    expect((await interaction()).answer.decision).toBe('deny');
    // Answered: the page no longer offers it.
    expect(await (await browser.get(`/jobs/${jobId}`)).text()).not.toContain('Approval needed');
  });

  it('refuses an answer without the CSRF token or from another origin, and changes nothing', async () => {
    const { browser, interaction } = await waitingJob(approval);
    const noToken = await browser.post('/interactions/int_1/answer', { decision: 'allow_once' });
    expect(noToken.status).toBe(403);
    const foreign = await browser.post(
      '/interactions/int_1/answer',
      { csrf: browser.csrf, decision: 'allow_once' },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const bogus = await browser.post('/interactions/int_1/answer', { csrf: browser.csrf, decision: 'maybe' });
    expect(bogus.status).toBe(400);
    expect((await interaction()).answer).toBeNull();
  });

  it('a question is answered with its options, several for a multi-select, and free text', async () => {
    const { browser, jobId, interaction } = await waitingJob({
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
    const html = await (await browser.get(`/jobs/${jobId}`)).text();
    expect(html).toContain('<legend>Which database?</legend>');
    expect(html).toContain('type="checkbox" name="q:langs" value="Go"');
    const res = await browser.post('/interactions/int_1/answer', [
      ['csrf', browser.csrf],
      ['q:db', 'SQLite'],
      ['q:langs', 'TS'],
      ['q:langs', 'Go'],
      ['q:langs', 'Cobol'], // not an option, and this question takes no free text
      ['q:name:__other__', 'coord'],
    ]);
    expect(res.status).toBe(303);
    expect((await interaction()).answer).toEqual({
      kind: 'question',
      answers: { db: ['SQLite'], langs: ['TS', 'Go'], name: ['coord'] },
    });
  });

  it('a Ready job says on its page why no runner took it', async () => {
    const { server, api } = await startServer();
    const jobId = await submit(api, { routing: { mode: 'mine' } });
    const browser = await signIn(server);
    const html = await (await browser.get(`/jobs/${jobId}`)).text();
    expect(html).toContain('Waiting: No runner may take it');
  });
});
