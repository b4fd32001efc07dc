import type { JobView } from '@coord/runner-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium, screenshots } from './helpers/browser.js';
import {
  cleanUp,
  createRepo,
  onCleanup,
  signIn,
  startRunner,
  startServer,
  tempDir,
} from './helpers/stack.js';

afterEach(cleanUp);

const PLAN = [
  { type: 'say', text: 'Reading the repository first.' },
  {
    type: 'ask',
    id: 'tone',
    question: 'Which tone should the greeting have?',
    options: ['Friendly', 'Formal'],
  },
  {
    type: 'write',
    path: 'greeting.txt',
    content: 'Hello ({{answer:tone}})\nfrom the demo agent\n',
    ask: true,
  },
  { type: 'run', command: [process.execPath, '-e', "console.log('greeting test passed')"], ask: true },
  { type: 'say', text: 'Wrote greeting.txt and ran the check.' },
];

describe('the web app in Chromium, against a real server and a runner with the demo agent', () => {
  it('submit a job from the form, watch the log, answer in the page, and find the PR in Awaiting Review', async () => {
    const dir = tempDir('flow');
    const server = await startServer(dir);
    await createRepo(server, 'greeter');
    const runner = startRunner(server, dir);
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));

    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/sign-in\?next=%2F$/);
    await screenshots(page, 'sign-in');
    await signIn(page, server);
    await page.getByRole('heading', { name: 'Board' }).waitFor();
    await page.getByText('No jobs yet').waitFor();
    await screenshots(page, 'board-empty');

    // The runner shows up on the runners page with its agents.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /Runners/ })
      .click();
    const runnerCard = page.getByRole('region', { name: 'Runner browser-test-runner' });
    await runnerCard.waitFor({ timeout: 30_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\nrunner output:\n${runner.output()}`);
    });
    await runnerCard.getByText('Online').waitFor();
    expect(await runnerCard.getByLabel('Agents').textContent()).toContain('demo');
    await screenshots(page, 'runners');

    // Submit from the form.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /New job/ })
      .click();
    await page.getByLabel('Title').fill('Add a greeting');
    await page
      .getByLabel('Instructions')
      .fill('Write greeting.txt in the tone I choose, then run the check.');
    await page.getByRole('combobox', { name: 'Repository' }).selectOption({ label: 'local/greeter (main)' });
    // The runner has only the demo agent: the form picks it, and says the others are on no runner.
    const agentSelect = page.getByRole('combobox', { name: 'Agent' });
    await expect.poll(() => agentSelect.inputValue()).toBe('demo');
    expect(await agentSelect.locator('option[value="codex"]').textContent()).toContain(
      'on none of your online runners',
    );
    await page.getByLabel(/Demo plan/).fill(JSON.stringify(PLAN, null, 2));
    await screenshots(page, 'new-job');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/\/jobs\/job_/);
    const jobId = new URL(page.url()).pathname.split('/').at(-1)!;

    // The question comes first: answer it with an option.
    const question = page.getByRole('region', { name: 'Question from the agent' });
    await question.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.getByRole('log', { name: 'Agent log' }).textContent())
      .toContain('Reading the repository first.');
    await question.getByRole('radio', { name: 'Formal' }).check();
    await question.getByRole('button', { name: 'Send answer' }).click();

    // Then the write asks for approval, with what it will write.
    const write = page.getByRole('region', { name: 'Approval needed: write' });
    await write.waitFor({ timeout: 30_000 });
    expect(await write.locator('.cr-diff-add').allTextContents()).toEqual([
      '+ Hello (Formal)\n',
      '+ from the demo agent\n',
    ]);
    expect(await write.textContent()).toContain('Working directory');
    await screenshots(page, 'job-approval');
    await write.getByRole('button', { name: 'Approve once' }).click();

    const run = page.getByRole('region', { name: 'Approval needed: run' });
    await run.waitFor({ timeout: 30_000 });
    await run.getByRole('button', { name: 'Approve for this session' }).click();

    // The tool runs: its output streams into the log.
    await expect
      .poll(() => page.getByRole('log', { name: 'Agent log' }).textContent(), { timeout: 30_000 })
      .toContain('greeting test passed');

    // The job lands in Awaiting Review with its pull request and diff stat.
    await page.locator('.job-meta').getByText('Awaiting Review').waitFor({ timeout: 60_000 });
    const pr = page.getByRole('region', { name: 'Pull request' });
    await pr.getByRole('link', { name: /#1/ }).waitFor();
    expect(await pr.getByRole('link', { name: /#1/ }).getAttribute('href')).toMatch(
      /\/forge\/local\/greeter\/pull\/1$/,
    );
    await expect.poll(() => pr.locator('.diffstat').textContent()).toBe('1 file+2−01 commit');
    // Answered requests stay on the page, saying how they were answered: the newest in view, the
    // older ones folded so that the log stays near the top.
    expect(await page.getByText('Allowed for this session.').isVisible()).toBe(true);
    const earlier = page.locator('details.earlier-requests');
    expect(await earlier.locator('summary').textContent()).toBe('2 earlier requests, resolved');
    expect(await page.getByText('Allowed once.').isVisible()).toBe(false);
    await earlier.locator('summary').click();
    expect(await page.getByText('Allowed once.').isVisible()).toBe(true);
    expect(await page.getByText('Answered: Formal.').isVisible()).toBe(true);
    await screenshots(page, 'job-awaiting-review');

    // The pull request's own page: what it changes, and the way back to its job.
    await pr.getByRole('link', { name: /#1/ }).click();
    await page.waitForURL(/\/forge\/local\/greeter\/pull\/1$/);
    await page.getByRole('heading', { name: /#1/ }).waitFor();
    await expect
      .poll(() => page.getByRole('region', { name: 'Changes' }).locator('.diffstat').textContent())
      .toBe('1 file+2−01 commit');
    await screenshots(page, 'pull-request');
    await page.getByRole('link', { name: 'Open the job' }).click();
    await page.waitForURL(`${server.url}/jobs/${jobId}`);

    // Search and tool-call jumps scroll the log to the line.
    const log = page.locator('.cr-log');
    await log.getByRole('checkbox', { name: /Follow/ }).uncheck();
    await page.getByRole('searchbox', { name: 'Search the log' }).fill('Reading the repository');
    await page.getByRole('searchbox', { name: 'Search the log' }).press('Enter');
    await expect
      .poll(() => log.locator('.cr-current').textContent())
      .toContain('Reading the repository first.');
    await log.locator('.cr-log-scroll').focus();
    await page.keyboard.press(']');
    await expect.poll(() => log.locator('.cr-current').textContent()).toContain('Write greeting.txt');

    // The board has it in the right column.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Board/ }).click();
    const column = page.getByRole('listitem', { name: 'Awaiting Review' });
    await column.getByText('Add a greeting').waitFor();
    // Empty columns fold to strips, so that the board's columns with jobs fit a laptop's screen.
    const width = async (name: string) => (await page.getByRole('listitem', { name }).boundingBox())!.width;
    expect(await width('Backlog')).toBeLessThan(60);
    expect(await width('Awaiting Review')).toBeGreaterThanOrEqual(250);
    const board = (await page.getByRole('list', { name: 'Jobs by status' }).boundingBox())!;
    const cancelled = (await page.getByRole('listitem', { name: 'Cancelled' }).boundingBox())!;
    expect(cancelled.x + cancelled.width).toBeLessThanOrEqual(board.x + board.width + 1);
    await screenshots(page, 'board');

    const job = (await (
      await fetch(`${server.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${server.token}` } })
    ).json()) as { job: JobView };
    expect(job.job.status).toBe('awaiting_review');

    // The reviewer asks for changes on the job page: the job goes back to a runner as a revision.
    await column.getByText('Add a greeting').click();
    const review = page.getByRole('form', { name: 'Review' });
    await review.getByLabel('What should change?').fill('Make the greeting shorter.');
    await screenshots(page, 'job-review');
    await review.getByRole('button', { name: 'Request changes' }).click();
    await review.waitFor({ state: 'detached' });
    const revised = (await (
      await fetch(`${server.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${server.token}` } })
    ).json()) as { job: JobView };
    expect(['ready', 'in_progress']).toContain(revised.job.status);
    expect(pageErrors.join('\n')).toBe('');
  });
});
