import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobSubmission, JobView } from '@coord/runner-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium, screenshots } from './helpers/browser.js';
import { cleanUp, onCleanup, signIn, startRunner, startServer, tempDir } from './helpers/stack.js';

afterEach(cleanUp);

async function submit(server: { url: string; token: string }, spec: JobSubmission): Promise<string> {
  const res = await fetch(`${server.url}/v1/workspaces/local/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  return ((await res.json()) as { job: JobView }).job.id;
}

describe('the job page: why it waits, cancelling, output files', () => {
  it('a Ready job says why it waits, and Cancel ends it', async () => {
    const dir = tempDir('waiting');
    const server = await startServer(dir);
    const jobId = await submit(server, {
      title: 'Nobody to run me',
      instructions: 'x',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
    });
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await signIn(page, server, `/jobs/${jobId}`);
    const banner = page.getByRole('status').filter({ hasText: 'Waiting for a runner.' });
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/runner/i);
    await page.getByText('The log starts when a runner takes the job.').waitFor();
    await screenshots(page, 'job-waiting');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('.job-meta').getByText('Cancelled').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);

    // Run again: the same job as a new one, Ready at once; the cancelled one stays as it ended.
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/jobs/') && !url.pathname.endsWith(jobId));
    const copyId = new URL(page.url()).pathname.split('/').at(-1)!;
    await page.getByRole('heading', { name: 'Nobody to run me' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Waiting for a runner.' }).waitFor();
    const view = async (id: string) =>
      (
        (await (
          await fetch(`${server.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${server.token}` } })
        ).json()) as { job: JobView }
      ).job;
    const [copy, original] = await Promise.all([view(copyId), view(jobId)]);
    expect(copy).toMatchObject({ status: 'ready', spec: { ...original.spec, status: 'ready' } });
    expect(original.status).toBe('cancelled');
  });

  it('a local job’s output files download from the job page', async () => {
    const dir = tempDir('outputs');
    const server = await startServer(dir);
    startRunner(server, dir);
    const jobId = await submit(server, {
      title: 'Write a report',
      instructions: 'x',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        permissionMode: 'auto_project',
        plan: [{ type: 'write', path: 'out/report.txt', content: 'all good\n' }],
      },
    });
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await signIn(page, server, `/jobs/${jobId}`);
    await page.locator('.job-meta').getByText('Done').waitFor({ timeout: 60_000 });
    const files = page.getByRole('region', { name: 'Output files' });
    const link = files.getByRole('link', { name: 'out/report.txt' });
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    const download = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return {
        body: await res.text(),
        disposition: res.headers.get('content-disposition'),
        type: res.headers.get('content-type'),
      };
    }, href);
    expect(download).toEqual({
      body: 'all good\n',
      disposition: 'attachment',
      type: 'application/octet-stream',
    });
    await screenshots(page, 'job-done-local');
  });

  it('with no repository yet, the form says how to push one, and the pushed one can be chosen', async () => {
    const dir = tempDir('first-repo');
    const server = await startServer(dir);
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await signIn(page, server, '/new');
    const hint = page.getByText('A push creates one of yours');
    await hint.waitFor();
    await screenshots(page, 'new-job-no-repository');
    // The command the page shows, run as it says: the token as the password.
    const command = (await page.locator('.hint code', { hasText: 'git push' }).textContent())!.replace(
      'NAME',
      'app',
    );
    const [, , pushUrl, branch] = command.split(' ');
    expect(pushUrl).toBe(`${server.url}/forge/git/local/app.git`);
    const work = join(dir, 'app');
    // Not execFileSync: the server answering the push runs in this process.
    const git = (...args: string[]) =>
      promisify(execFile)('git', args, {
        cwd: work,
        env: { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
      });
    mkdirSync(work);
    await git('init', '-q', '-b', 'main');
    writeFileSync(join(work, 'README.md'), '# app\n');
    await git('add', '-A');
    await git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'first');
    const basic = Buffer.from(`me:${server.token}`).toString('base64');
    await git('-c', `http.extraHeader=Authorization: Basic ${basic}`, 'push', '-q', pushUrl!, branch!);

    await page.reload();
    await page.getByRole('radio', { name: 'Repository' }).check();
    await page.getByRole('combobox', { name: 'Repository' }).selectOption({ label: 'local/app (main)' });
  });

  it('a job submitted to the Backlog from the form, with a permission mode, is made Ready on the board', async () => {
    const dir = tempDir('backlog');
    const server = await startServer(dir);
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await signIn(page, server, '/new');
    await page.getByLabel('Title').fill('Plan the migration');
    await page.getByLabel('Instructions').fill('List the tables to move, nothing else.');
    // No runner at all: the form says the job would wait, for whichever agent.
    await page.getByText(/None of your online runners has Claude Code ready/).waitFor();
    await page.getByRole('combobox', { name: 'Agent' }).selectOption('demo');
    await page.getByText(/None of your online runners has Demo agent/).waitFor();
    await page.getByRole('combobox', { name: 'Permissions' }).selectOption('auto_edit');
    await page.getByLabel(/Put it in the Backlog/).check();
    await screenshots(page, 'new-job-backlog');
    await page.getByRole('button', { name: 'Add to Backlog' }).click();
    await page.waitForURL(/\/jobs\/job_/);
    const jobId = new URL(page.url()).pathname.split('/').at(-1)!;
    await page.locator('.job-meta').getByText('Backlog').waitFor();
    await page.getByText('permissions: Edit files in the project without asking').waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'In the Backlog.' }).count()).toBe(1);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Board/ }).click();
    const backlog = page.getByRole('listitem', { name: 'Backlog' });
    await backlog.getByText('Plan the migration').waitFor();
    await screenshots(page, 'board-backlog');
    await backlog.getByRole('button', { name: 'Make Ready: Plan the migration' }).click();
    await page.getByRole('listitem', { name: 'Ready' }).getByText('Plan the migration').waitFor();
    expect(await backlog.getByText('Plan the migration').count()).toBe(0);

    const res = await fetch(`${server.url}/v1/jobs/${jobId}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    const { job } = (await res.json()) as { job: JobView };
    expect(job.status).toBe('ready');
    expect(job.spec.agent.permissionMode).toBe('auto_edit');
  });
});
