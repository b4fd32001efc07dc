import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, screenshots } from '@coord/browser-tests/chromium';
import { startLocalServer, type LocalServer } from '@coord/local-server';
import type { JobView } from '@coord/runner-protocol';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startDesktopHarness, type DesktopHarness } from '../harness/harness-server.js';

const SHOTS = fileURLToPath(new URL('../../.reports/screenshots/', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function stack(
  signedIn = true,
): Promise<{ dir: string; server: LocalServer; harness: DesktopHarness }> {
  const dir = mkdtempSync(join(tmpdir(), 'coord-desktop-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startLocalServer({ dataDir: join(dir, 'server') });
  cleanups.push(() => server.close());
  const res = await fetch(`${server.url}/forge/api/user/repos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'greeter', auto_init: true }),
  });
  expect(res.status).toBe(201);
  const harness = await startDesktopHarness({
    stateDir: join(dir, 'state'),
    ...(signedIn ? { credentials: { server: server.url, token: server.token } } : {}),
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: join(dir, 'home'),
      LANG: 'C.UTF-8',
      GIT_TERMINAL_PROMPT: '0',
    },
  });
  cleanups.push(() => harness.close());
  return { dir, server, harness };
}

const PLAN = [
  { type: 'say', text: 'Reading the repository first.' },
  {
    type: 'ask',
    id: 'tone',
    question: 'Which tone should the greeting have?',
    options: ['Friendly', 'Formal'],
  },
  { type: 'write', path: 'greeting.txt', content: 'Hello ({{answer:tone}})\n', ask: true },
  { type: 'run', command: [process.execPath, '-e', "console.log('greeting test passed')"], ask: true },
  { type: 'say', text: 'Wrote greeting.txt and ran the check.' },
];

async function submit(server: LocalServer, title: string): Promise<string> {
  const res = await fetch(`${server.url}/v1/workspaces/local/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      title,
      instructions: 'Write greeting.txt in the tone I choose, then run the check.',
      context: {
        type: 'repository',
        repository: {
          cloneUrl: `${server.url}/forge/git/local/greeter.git`,
          owner: 'local',
          name: 'greeter',
        },
      },
      agent: { id: 'demo', plan: PLAN },
    }),
  });
  const body = (await res.json()) as { job: JobView };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.job.id;
}

async function openTab(page: Page, name: string) {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

describe('the desktop renderer in Chromium, through the harness, with a real runner and server', () => {
  it('runs a job: its log streams in, approvals are answered here and elsewhere, it lands in History', async () => {
    const { server, harness, dir } = await stack();
    const { browser, close } = await launchChromium();
    cleanups.push(close);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));

    await page.goto(harness.url);
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    await page
      .locator('.pill-ok')
      .waitFor({ timeout: 30_000 })
      .catch((e: Error) => {
        throw new Error(`${e.message}\nrunner output:\n${harness.runnerOutput()}`);
      });
    await page.getByText('No job is running').waitFor();
    await screenshots(page, 'status-idle', SHOTS);

    const jobId = await submit(server, 'Add a greeting');
    const active = page.getByRole('table', { name: 'Active jobs' });
    await active.getByText('Add a greeting').first().waitFor({ timeout: 30_000 });

    // The question waits: a notification is raised, and it is answered on the web, elsewhere.
    const question = page.getByRole('region', { name: 'Question from the agent' });
    await question.waitFor({ timeout: 30_000 });
    expect(harness.notifications).toContainEqual(
      expect.objectContaining({ title: 'The agent asks', jobId, urgent: true }),
    );
    // Its workspace is prepared by now (the agent asks): the row names the job's branch.
    const branchCell = active.getByRole('row').filter({ hasText: 'Add a greeting' }).locator('.cell-branch');
    await expect.poll(() => branchCell.textContent()).toMatch(/^coord\/add-a-greeting-[0-9a-f]{8}$/);
    const shownBranch = await branchCell.textContent();
    const status = await harness.desktop.handle(
      { sender: { id: 1 }, senderFrame: { url: `${harness.url}/index.html` } },
      { method: 'status' },
    );
    const waiting = (status as { ok: true; result: { waiting: { interactionId: string }[] } }).result.waiting;
    expect(waiting).toHaveLength(1);
    const answered = await fetch(`${server.url}/v1/interactions/${waiting[0]!.interactionId}/answer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ answer: { kind: 'question', answers: { tone: ['Formal'] } }, by: 'web' }),
    });
    expect(answered.status).toBe(200);
    await page
      .getByRole('region', { name: 'Resolved request' })
      .getByText('Resolved elsewhere (from the web)')
      .waitFor({ timeout: 30_000 });

    // The write asks for approval: shown on Status, with the badge on the tab and the banner elsewhere.
    const write = page.getByRole('region', { name: 'Approval needed: write' });
    await write.waitFor({ timeout: 30_000 });
    expect(await page.getByRole('tab', { name: /Status/ }).textContent()).toContain('1');
    expect(await write.locator('.cr-diff-add').allTextContents()).toEqual(['+ Hello (Formal)\n']);
    await screenshots(page, 'status-approval', SHOTS);

    // The Logs tab follows the job live.
    await active.getByRole('button', { name: 'Logs' }).click();
    const log = page.getByRole('log', { name: 'Agent log' });
    await expect
      .poll(() => log.textContent(), { timeout: 30_000 })
      .toContain('Reading the repository first.');
    await page.getByRole('alert').filter({ hasText: 'Approve write?' }).waitFor();
    await screenshots(page, 'logs-live', SHOTS);

    // Answer from the banner's Review: back on Status.
    await page.getByRole('alert').getByRole('button', { name: 'Review' }).click();
    await write.getByRole('button', { name: 'Approve once' }).click();
    const run = page.getByRole('region', { name: 'Approval needed: run' });
    await run.waitFor({ timeout: 30_000 });
    await run.getByRole('button', { name: 'Approve for this session' }).click();

    // The tool runs and its output streams into the log.
    await openTab(page, 'Logs');
    await page.locator('.job-list-item').filter({ hasText: 'Add a greeting' }).first().click();
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain('greeting test passed');

    // The job lands in History with its PR, and the server has it in Awaiting Review.
    await openTab(page, 'History');
    const row = page.getByRole('listitem').filter({ hasText: 'Add a greeting' });
    await row.waitFor({ timeout: 60_000 });
    await row.getByText('succeeded').waitFor();
    await row.getByRole('button', { name: 'PR #1' }).click();
    await expect
      .poll(() => harness.opened)
      .toContainEqual(expect.stringMatching(/\/forge\/local\/greeter\/pull\/1$/));
    await screenshots(page, 'history', SHOTS);
    const job = (await (
      await fetch(`${server.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${server.token}` } })
    ).json()) as { job: JobView };
    expect(job.job.status).toBe('awaiting_review');
    // The branch Status showed is the one the pull request was opened from.
    expect(job.job.attempts.at(-1)?.pullRequest?.branch).toBe(shownBranch);
    expect(harness.notifications.at(-1)).toMatchObject({ title: 'Job done', jobId, urgent: false });

    // A finished job's whole log opens from History, read from the runner's spool.
    await row.getByRole('button', { name: 'Add a greeting' }).click();
    await page.getByRole('heading', { name: 'Add a greeting' }).waitFor();
    await expect.poll(() => log.textContent()).toContain('Finished: Succeeded');
    await page.locator('.cr-log-scroll').focus();
    await page.keyboard.press('g');
    await expect.poll(() => log.textContent()).toContain('Reading the repository first.');

    // Settings: the agents the runner found, and its settings.
    await openTab(page, 'Settings');
    const demo = page.locator('[data-agent="demo"]');
    await demo.waitFor({ timeout: 30_000 });
    expect(await demo.textContent()).toContain('Detected');
    await page.getByRole('region', { name: 'Runner settings' }).waitFor();
    await screenshots(page, 'settings', SHOTS);

    // An agent key: typed hidden, shown masked, kept owner-only; a restart hands it to the agents.
    const apiKey = 'sk-ant-desktop-test-key-0123456789';
    const keys = page.getByRole('region', { name: 'Agent keys' });
    const keyField = keys.getByLabel('anthropic.apiKey');
    expect(await keyField.getAttribute('type')).toBe('password');
    await keyField.fill(apiKey);
    await keyField.press('Enter');
    await keys.getByText('Set (sk-…6789)').waitFor();
    expect(await keyField.inputValue()).toBe('');
    expect(await page.content()).not.toContain(apiKey);
    const secretsFile = join(dir, 'state', 'agent-secrets.json');
    expect(JSON.parse(readFileSync(secretsFile, 'utf8'))).toMatchObject({ 'anthropic.apiKey': apiKey });
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    await screenshots(page, 'settings-agent-key', SHOTS);
    const before = harness.desktop.state().runner.pid;
    await keys.getByRole('button', { name: 'Restart the runner' }).click();
    await expect
      .poll(
        () => {
          const { status, pid } = harness.desktop.state().runner;
          return status === 'running' && pid !== before;
        },
        { timeout: 60_000 },
      )
      .toBe(true);
    await keys.getByRole('button', { name: 'Restart the runner' }).waitFor({ state: 'detached' });
    // The new runner was handed the key by its environment, not its command line.
    expect(readFileSync(`/proc/${harness.desktop.state().runner.pid}/cmdline`, 'utf8')).not.toContain(apiKey);

    // No token in the page, the runner's command line or anything the app wrote.
    expect(await page.content()).not.toContain(server.token);
    for (const file of readdirSync(join(dir, 'state'), { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const path = join(file.parentPath, file.name);
      expect(readFileSync(path, 'utf8').includes(server.token), path).toBe(false);
    }
    expect(pageErrors.join('\n')).toBe('');
  });

  it('shows a runner that died and restarts it, and starts signed out with a way to sign in', async () => {
    const { harness } = await stack();
    const { browser, close } = await launchChromium();
    cleanups.push(close);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(harness.url);
    await page.locator('.pill-ok').waitFor({ timeout: 30_000 });
    const pid = harness.desktop.state().runner.pid!;
    process.kill(pid, 'SIGKILL');
    await page
      .getByRole('status')
      .filter({ hasText: /stopped unexpectedly/ })
      .waitFor({ timeout: 15_000 });
    await expect
      .poll(() => harness.desktop.state().runner, { timeout: 60_000 })
      .toMatchObject({ status: 'running', restarts: 1 });
    expect(harness.desktop.state().runner.pid).not.toBe(pid);
    await page.locator('.pill-ok').waitFor({ timeout: 30_000 });

    // Sign out: the runner stops and Settings offers the sign-in.
    await openTab(page, 'Settings');
    await page.getByRole('region', { name: 'Account' }).getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('textbox', { name: 'Coord server' }).waitFor({ timeout: 60_000 });
    expect(harness.desktop.state()).toMatchObject({
      runner: { status: 'stopped' },
      account: { signedIn: false },
    });
    await screenshots(page, 'settings-signed-out', SHOTS);
  });

  it('signs in with a device code: the code shows, the browser approves it, and the runner starts', async () => {
    const { server, harness, dir } = await stack(false);
    const { browser, close } = await launchChromium();
    cleanups.push(close);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(harness.url);
    await page.getByText('Sign in under Settings to take jobs.').waitFor();
    await openTab(page, 'Settings');
    await page.getByRole('textbox', { name: 'Coord server' }).fill(server.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = (await page.getByLabel('Sign-in code').textContent())!;
    expect(code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    await screenshots(page, 'settings-device-code', SHOTS);

    // "Open the browser" hands the approval page to the system browser: here, a second tab.
    await page.getByRole('button', { name: 'Open the browser' }).click();
    await expect.poll(() => harness.opened.length).toBe(1);
    const approvalUrl = harness.opened[0]!;
    expect(approvalUrl).toContain(encodeURIComponent(code).replace('%2D', '-'));
    const web = await browser.newPage();
    const next = new URL(approvalUrl);
    await web.goto(`${server.url}/sign-in?next=${encodeURIComponent(next.pathname + next.search)}`);
    await web.fill('input[name="token"]', server.token);
    await web.click('button[type="submit"]');
    await web.getByRole('button', { name: 'Approve' }).click();

    await page.getByText(`Signed in to ${server.url}`).waitFor({ timeout: 30_000 });
    await openTab(page, 'Status');
    await page.locator('.pill-ok').waitFor({ timeout: 60_000 });
    // The new token is sealed on disk, never in the clear.
    const saved = readFileSync(join(dir, 'state', 'desktop-credentials.json'), 'utf8');
    expect(saved).toContain(server.url);
    expect(saved).not.toMatch(/"token"/);
  });
});
