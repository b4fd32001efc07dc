import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '@coord/browser-tests/chromium';
import { createFileHistoryStore } from '@coord/runner-core';
import { startLocalServer } from '@coord/local-server';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startDesktopHarness } from '../harness/harness-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const ATTEMPT = 'att_scroll_log';
const EVENTS = 6000;

/** Output chunks of one to four lines: rows 28 to 88 px tall, in a pattern that repeats. */
const chunk = (seq: number) =>
  Array.from({ length: 1 + (seq % 4) }, (_, l) => `event ${seq} line ${l + 1}`).join('\n') + '\n';

/** A finished attempt in the runner's history and its event spool, written before the runner starts. */
function seed(stateDir: string): void {
  const now = Date.now();
  createFileHistoryStore(join(stateDir, 'history', 'attempts.ndjson'), {
    maxEntries: 10,
    maxAgeMs: 24 * 60 * 60 * 1000,
  }).record({
    attemptId: ATTEMPT,
    jobId: 'job_scroll_log',
    attemptNumber: 1,
    title: 'Rows of many heights',
    workspaceId: 'local',
    agent: 'demo',
    outcome: 'succeeded',
    summary: 'Printed a lot.',
    pullRequest: null,
    error: null,
    startedAt: now - 60_000,
    finishedAt: now,
    durationMs: 60_000,
    usage: null,
  });
  const dir = join(stateDir, 'attempts', ATTEMPT);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const at = new Date(now).toISOString();
  const lines = Array.from({ length: EVENTS }, (_, i) =>
    JSON.stringify({
      seq: i + 1,
      at,
      type: 'job.agent',
      data: { event: { type: 'tool.output', toolCallId: 't1', stream: 'stdout', chunk: chunk(i + 1) } },
    }),
  );
  writeFileSync(join(dir, 'events.ndjson'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** The drawn rows, their event numbers and where they are relative to the scroller. */
function drawnRows(page: Page) {
  return page.evaluate(() => {
    const scroller = document.querySelector('.cr-log-scroll')!.getBoundingClientRect();
    return [...document.querySelectorAll<HTMLElement>('.cr-log-row')].map((row) => {
      const r = row.getBoundingClientRect();
      return {
        index: Number(row.dataset['index']),
        text: row.querySelector('.cr-entry')?.textContent ?? '',
        top: r.top - scroller.top,
        bottom: r.bottom - scroller.top,
        viewport: scroller.height,
      };
    });
  });
}

/** The desktop renderer through the harness, on the Logs tab of the seeded attempt. */
async function openLog(): Promise<{ page: Page; errors: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'coord-desktop-scroll-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  seed(join(dir, 'state'));
  const server = await startLocalServer({ dataDir: join(dir, 'server') });
  cleanups.push(() => server.close());
  const harness = await startDesktopHarness({
    stateDir: join(dir, 'state'),
    credentials: { server: server.url, token: server.token },
    env: { PATH: process.env['PATH'] ?? '', HOME: join(dir, 'home'), LANG: 'C.UTF-8' },
  });
  cleanups.push(() => harness.close());
  const { browser, close } = await launchChromium();
  cleanups.push(close);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(harness.url);
  // The Logs tab lists finished jobs from the runner: wait until it is up.
  await page.locator('.pill-ok').waitFor({ timeout: 60_000 });
  await page.getByRole('tab', { name: /^Logs/ }).click();
  await page.locator('.job-list-item').filter({ hasText: 'Rows of many heights' }).click();
  await page.locator('.cr-log-row .cr-entry:not(.cr-loading)').first().waitFor();
  return { page, errors };
}

describe('the log view scrolling through rows of different heights (real Chromium)', () => {
  it('opens at the very end and keeps following, even though the last rows are taller than estimated', async () => {
    const { page, errors } = await openLog();
    const follow = page.getByRole('checkbox', { name: /Follow/ });
    await expect
      .poll(async () => {
        const last = (await drawnRows(page)).at(-1);
        if (!last || last.index !== EVENTS - 1) return `last drawn row ${last?.index}`;
        return Math.abs(last.bottom - last.viewport) <= 1
          ? 'at the end'
          : `ends at ${last.bottom} of ${last.viewport}`;
      })
      .toBe('at the end');
    expect(await follow.isChecked()).toBe(true);
    // A person scrolling up stops following; back at the bottom, it follows again.
    const scroller = page.locator('.cr-log-scroll');
    await scroller.evaluate((el) => (el.scrollTop -= 300));
    await expect.poll(() => follow.isChecked()).toBe(false);
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => follow.isChecked()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('keeps every row measured as rows take over each other’s nodes, so jumps land on their line', async () => {
    const { page, errors } = await openLog();
    await page.getByRole('checkbox', { name: /Follow/ }).uncheck();

    // Scroll by small and big steps, as a wheel and a dragged scrollbar do: rows scrolled in
    // take over the nodes of rows scrolled out, whatever their heights.
    const scroller = page.locator('.cr-log-scroll');
    for (const step of [-90, -90, -1500, -1500, -40_000, 700, -1500, -60_000, 3000, -20_000]) {
      await scroller.evaluate((el, by) => (el.scrollTop += by), step);
      // Once the rows have loaded and been measured: each shows its own event, one after
      // another, and together they cover the viewport.
      await expect
        .poll(async () => {
          const rows = await drawnRows(page);
          const mismatch = rows.find((r) => !r.text.startsWith(`event ${r.index + 1} line 1`));
          if (mismatch) return `row ${mismatch.index} shows ${mismatch.text.slice(0, 30)}`;
          const gap = rows.find((r, i) => i > 0 && r.index !== rows[i - 1]!.index + 1);
          if (gap) return `row ${gap.index} follows ${rows[rows.indexOf(gap) - 1]!.index}`;
          const [first, last] = [rows[0]!, rows.at(-1)!];
          return first.top <= 0 && last.bottom >= first.viewport
            ? 'covered'
            : `rows span ${first.top}..${last.bottom} of ${first.viewport}`;
        })
        .toBe('covered');
    }

    // A search jump centres its line: only true if every row drawn around it was measured,
    // including rows whose reused node had already the same height (no resize to report).
    for (const target of [2403, 2398, 4001, 17]) {
      const search = page.getByRole('searchbox', { name: 'Search the log' });
      await search.fill(`event ${target} line 1`);
      await search.press('Enter');
      await page
        .getByRole('status')
        .filter({ hasText: `at event ${target.toLocaleString('en')}` })
        .waitFor();
      await expect
        .poll(async () => {
          const row = (await drawnRows(page)).find((r) => r.index === target - 1);
          if (!row) return 'not drawn';
          const centre = (row.top + row.bottom) / 2;
          // Near the top the view cannot centre it: it is at least in view.
          return target === 17
            ? row.top >= 0 && row.bottom <= row.viewport
            : Math.abs(centre - row.viewport / 2) <= 1;
        })
        .toBe(true);
    }
    expect(errors).toEqual([]);
  });
});
