import type { JobView } from '@coord/runner-protocol';
import type { LocalServer } from '@coord/local-server';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium, screenshots } from './helpers/browser.js';
import { cleanUp, onCleanup, signIn, startServer, tempDir } from './helpers/stack.js';

afterEach(cleanUp);

/** One call of the v1 API with the server's token, as a runner or a script makes it. */
async function v1(server: LocalServer, method: string, path: string, body?: unknown, runnerId?: string) {
  const res = await fetch(`${server.url}/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
      ...(runnerId ? { 'coord-runner-id': runnerId } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function newPage(extra: { errors?: string[] } = {}) {
  const { browser, close } = await launchChromium();
  onCleanup(close);
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  page.on('pageerror', (e) => extra.errors?.push(e.message));
  return page;
}

/**
 * A local job taken by a runner on the wire, which reports its agent's `events` (job.agent, in
 * order) and finishes it: what a real runner's upload would leave on the server.
 */
async function jobWithAgentEvents(
  server: LocalServer,
  job: { title: string; instructions: string },
  events: unknown[],
): Promise<{ jobId: string; attemptId: string }> {
  const { job: view } = await v1(server, 'POST', '/workspaces/local/jobs', {
    ...job,
    context: { type: 'local' },
    agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
  });
  const { runner } = await v1(server, 'POST', '/runners/register', {
    machineId: 'machine-0001',
    name: 'wire-runner',
    platform: 'linux',
    arch: 'x64',
    version: '0.1.0',
    agents: [{ id: 'demo', state: 'detected', version: '1', enabled: true }],
    capacity: 1,
  });
  const { assignment } = await v1(server, 'POST', `/runners/${runner.id}/claim`, { waitMs: 0 });
  const attemptId = assignment.attempt.id as string;
  const at = new Date().toISOString();
  const lines = events.map((event, i) => ({ seq: i + 1, at, type: 'job.agent', data: { event } }));
  await v1(server, 'POST', `/attempts/${attemptId}/events`, { events: lines }, runner.id);
  const done = { outcome: 'succeeded', lastSeq: lines.length };
  await v1(server, 'POST', `/attempts/${attemptId}/complete`, done, runner.id);
  return { jobId: (view as JobView).id, attemptId };
}

describe('signing in and out', () => {
  it('a wrong token is told so on the page; signing out ends the session', async () => {
    const server = await startServer(tempDir('sign-in'));
    const page = await newPage();
    await page.goto(`${server.url}/runners`);
    await page.waitForURL(/\/sign-in\?next=%2Frunners$/);
    await page.getByLabel('Token').fill('coord_not_the_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('That token is not valid for this server.');
    await screenshots(page, 'sign-in-error');

    // The right one goes where the person was going.
    await page.getByLabel('Token').fill(server.token);
    await Promise.all([
      page.waitForURL(`${server.url}/runners`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await page.getByRole('heading', { name: 'Runners' }).waitFor();
    await page.getByText('No runner has signed in yet').waitFor();
    await screenshots(page, 'runners-empty');

    await Promise.all([
      page.waitForURL(/\/sign-in$/),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    // The old session opens nothing: the board sends this browser back to sign in.
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/sign-in\?next=%2F$/);
  });
});

describe('a runner’s device sign-in in the app', () => {
  it('the link coord-runner login prints shows who asks, and Approve gives the runner its token', async () => {
    const server = await startServer(tempDir('device'));
    const started = (await (
      await fetch(`${server.url}/v1/device/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientName: 'coord-runner on build-box' }),
      })
    ).json()) as { deviceCode: string; userCode: string; verificationUriComplete: string };
    const page = await newPage();

    // Typed wrong first: the page says so and what to do.
    await signIn(page, server, '/device');
    await page.getByRole('heading', { name: 'Sign in a runner' }).waitFor();
    await page.getByRole('textbox', { name: 'Code' }).fill('BBBB-BBBB');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('No runner is waiting with that code').waitFor();
    await screenshots(page, 'device-unknown-code');

    await page.goto(started.verificationUriComplete);
    const request = page.getByRole('region', { name: 'Runner sign-in request' });
    await request.waitFor();
    expect(await request.textContent()).toContain('coord-runner on build-box');
    expect(await request.getByLabel('Code', { exact: true }).textContent()).toBe(started.userCode);
    await screenshots(page, 'device-confirm');
    await request.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').getByText('Runner signed in').waitFor();
    await screenshots(page, 'device-approved');

    const granted = await fetch(`${server.url}/v1/device/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceCode: started.deviceCode }),
    });
    expect(granted.status).toBe(200);
    const { token } = (await granted.json()) as { token: string };
    const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
  });
});

describe('nothing from a job or an agent is rendered as HTML', () => {
  it('titles, agent messages, tool output and a stored javascript: link are shown as text', async () => {
    const server = await startServer(tempDir('untrusted'));
    const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
    // A runner, on the wire: it takes the job and reports what its agent said and ran.
    const { jobId, attemptId } = await jobWithAgentEvents(
      server,
      { title: `Title ${hostile}`, instructions: `Instructions ${hostile}` },
      [
        { type: 'message.completed', role: 'assistant', text: `Message ${hostile}` },
        {
          type: 'tool.started',
          toolCallId: 't1',
          name: 'Bash',
          kind: 'shell',
          title: `echo ${hostile}`,
          input: { command: `echo '${hostile}'` },
        },
        { type: 'tool.output', toolCallId: 't1', stream: 'stdout', chunk: `Output ${hostile}\n` },
        { type: 'tool.completed', toolCallId: 't1', status: 'succeeded', exitCode: 0 },
      ],
    );
    // A link an older server stored unchecked.
    server.store.db
      .prepare('UPDATE attempts SET pull_request = ? WHERE id = ?')
      .run(JSON.stringify({ url: 'javascript:window.__pwned=2', number: 7, branch: 'coord/x' }), attemptId);

    const errors: string[] = [];
    const page = await newPage({ errors });
    await signIn(page, server, `/jobs/${jobId}`);
    const log = page.getByRole('log', { name: 'Agent log' });
    await expect.poll(() => log.textContent()).toContain(`Output ${hostile}`);
    expect(await log.textContent()).toContain(`Message ${hostile}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Title ${hostile}`);
    expect(await page.getByRole('region', { name: 'Instructions' }).textContent()).toContain(
      `Instructions ${hostile}`,
    );
    const pr = page.getByRole('region', { name: 'Pull request' });
    expect(await pr.textContent()).toContain('#7');
    expect(await pr.getByRole('link').count()).toBe(0);
    await screenshots(page, 'job-untrusted-text');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Board/ }).click();
    await page.getByRole('listitem', { name: 'Done' }).getByText(`Title ${hostile}`).waitFor();

    // Nothing of it became an element, and nothing ran.
    expect(await page.locator('#root img').count()).toBe(0);
    expect(await page.locator('#root b:text-is("bold")').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
  });
});

describe('the agent log of a streaming agent', () => {
  it('shows a streamed answer once: its thinking and its deltas as blocks, then the whole message folded away', async () => {
    const server = await startServer(tempDir('streamed'));
    const answer = 'The parser drops the last line.\nA fix is in parser.ts.';
    // As the runner sends a Codex or Gemini answer: the deltas (re-cut at lines), then it whole.
    const { jobId } = await jobWithAgentEvents(
      server,
      { title: 'Streamed answer', instructions: 'Say it as you think it' },
      [
        { type: 'message.delta', channel: 'reasoning', text: 'It reads lines with split,\n' },
        { type: 'message.delta', channel: 'reasoning', text: 'so the last one is lost.\n' },
        { type: 'message.delta', channel: 'text', text: 'The parser drops the last line.\n' },
        { type: 'message.delta', channel: 'text', text: 'A fix is in parser.ts.' },
        { type: 'message.completed', role: 'assistant', text: answer, streamed: true },
      ],
    );

    const errors: string[] = [];
    const page = await newPage({ errors });
    await signIn(page, server, `/jobs/${jobId}`);
    const log = page.getByRole('log', { name: 'Agent log' });
    await log.getByText('The whole message (streamed above)').waitFor();
    // What a person sees (innerText: a folded message is not drawn): each sentence once.
    const seen = await log.innerText();
    expect(seen.split('drops the last line').length - 1).toBe(1);
    expect(seen.split('A fix is in parser.ts').length - 1).toBe(1);
    // Each run is one block under one label, its thinking shown as it came, not folded per line.
    expect(seen.split('Thinking').length - 1).toBe(1);
    expect(seen).toContain('so the last one is lost.');
    expect(seen.match(/^Agent$/gm)).toHaveLength(2);
    await screenshots(page, 'job-streamed-answer');
    await log.getByText('The whole message (streamed above)').click();
    expect((await log.innerText()).split('A fix is in parser.ts').length - 1).toBe(2);
    expect(errors).toEqual([]);
  });
});
