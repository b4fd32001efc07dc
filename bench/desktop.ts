import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '@coord/browser-tests/chromium';
import { startLocalServer } from '@coord/local-server';
import { createFileHistoryStore, type HistoryEntry } from '@coord/runner-core';
import { startDesktopHarness } from '@coord/runner-desktop/harness';
import type { Page } from 'playwright-core';
import { benchLogEvent, heapMb, percentile, round1, scrollFrames } from './browser-measure.js';

/**
 * The desktop renderer in headless Chromium through its harness (the real main-process router and
 * a real runner): the History tab over `jobs` finished attempts, and the Logs tab of an attempt
 * whose spool holds `lines` events, both written into the runner's state dir before it starts.
 * Reports each tab's first render (click to first row on screen), the 95th percentile frame while
 * scrolling the log, and the page's heap after a GC.
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string', default: '10000' },
      lines: { type: 'string', default: '1000000' },
      frames: { type: 'string', default: '240' },
    },
  });
  const result = await measureDesktop({
    jobs: Number(values.jobs),
    lines: Number(values.lines),
    frames: Number(values.frames),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const BIG = 'att_bench_big_log';

export async function measureDesktop(options: { jobs: number; lines: number; frames: number }) {
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-desktop-'));
  const stateDir = join(root, 'state');
  seedHistory(stateDir, options.jobs);
  seedSpool(stateDir, options.lines);
  const server = await startLocalServer({ dataDir: join(root, 'server') });
  const harness = await startDesktopHarness({
    stateDir,
    credentials: { server: server.url, token: server.token },
    env: { PATH: process.env['PATH'] ?? '', HOME: join(root, 'home'), LANG: 'C.UTF-8' },
  });
  const chromium = await launchChromium();
  try {
    const page = await chromium.browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(harness.url);
    await page.locator('.pill-ok').waitFor({ timeout: 60_000 });

    const historyFirstRenderMs = await firstRender(page, 'History', '.history-row');
    const historyRows = await page.locator('.history-row').count();

    // The big log's attempt is in the Logs tab's Recent list (the newest finished attempt).
    await page.getByRole('tab', { name: /^Logs/ }).click();
    const item = page.locator('.job-list-item').filter({ hasText: 'A log of' }).first();
    await item.waitFor({ timeout: 60_000 });
    const logsFirstRenderMs = await firstRender(page, null, '.cr-log-row .cr-entry:not(.cr-loading)', item);
    const frames = await scrollFrames(page, '.cr-log-scroll', options.frames);
    const jsHeapMb = await heapMb(page);
    return {
      bench: 'desktop',
      jobs: options.jobs,
      lines: options.lines,
      history_first_render_ms: Math.round(historyFirstRenderMs),
      logs_first_render_ms: Math.round(logsFirstRenderMs),
      scroll_frame_ms_p95: round1(percentile(frames.work, 0.95)),
      scroll_frame_ms_p50: round1(percentile(frames.work, 0.5)),
      scroll_frames: frames.work.length,
      scroll_long_frames: frames.longFrames,
      js_heap_mb: jsHeapMb,
      history_dom_rows: historyRows,
      log_dom_rows: await page.locator('.cr-log-row').count(),
    };
  } finally {
    await chromium.close();
    await harness.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Milliseconds from a click (a tab, or a list item) until `ready` is on screen, timed in the page. */
async function firstRender(
  page: Page,
  tab: string | null,
  ready: string,
  target?: ReturnType<Page['locator']>,
): Promise<number> {
  const clickable = target ?? page.getByRole('tab', { name: new RegExp(`^${tab}`) });
  await page.evaluate(() => {
    const w = window as unknown as { __clickAt?: number };
    addEventListener('pointerdown', () => (w.__clickAt = performance.now()), { once: true, capture: true });
  });
  await clickable.click();
  const handle = await page.waitForFunction(
    (selector) => {
      const at = (window as unknown as { __clickAt?: number }).__clickAt;
      return at !== undefined && document.querySelector(selector) ? performance.now() - at : 0;
    },
    ready,
    { polling: 'raf', timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** `jobs` finished attempts in the runner's history file, as a long-used runner has. */
function seedHistory(stateDir: string, jobs: number): void {
  const store = createFileHistoryStore(join(stateDir, 'history', 'attempts.ndjson'), {
    maxEntries: jobs + 10,
    maxAgeMs: 365 * 24 * 60 * 60 * 1000,
  });
  const now = Date.now();
  const outcomes = ['succeeded', 'succeeded', 'succeeded', 'no_changes', 'failed'] as const;
  for (let n = 0; n < jobs; n++) {
    const finishedAt = now - (jobs - n) * 60_000;
    const outcome = outcomes[n % outcomes.length]!;
    store.record(
      entry(`att_bench_${n}`, `job_bench_${n}`, `Job ${n}: tidy module ${n % 97}`, finishedAt, outcome),
    );
  }
  store.record(entry(BIG, 'job_bench_big', 'A log of many lines', now, 'succeeded'));
}

function entry(
  attemptId: string,
  jobId: string,
  title: string,
  finishedAt: number,
  outcome: HistoryEntry['outcome'],
): HistoryEntry {
  return {
    attemptId,
    jobId,
    attemptNumber: 1,
    title,
    workspaceId: 'local',
    agent: 'claude-code',
    outcome,
    summary: outcome === 'failed' ? '' : 'Tidied the module and its tests.',
    pullRequest:
      outcome === 'succeeded'
        ? {
            url: `https://forge.example/acme/app/pull/${finishedAt % 10_000}`,
            number: finishedAt % 10_000,
            branch: `coord/${jobId}`,
          }
        : null,
    error:
      outcome === 'failed'
        ? { code: 'agent.crashed', message: 'The agent exited with code 1', retryable: true }
        : null,
    startedAt: finishedAt - 90_000,
    finishedAt,
    durationMs: 90_000,
    usage: { inputTokens: 12_000, outputTokens: 3_400, cachedInputTokens: 8_000, costUsd: 0.42 },
  };
}

/** The big attempt's event spool, written as the runner writes it (one NDJSON line per event). */
function seedSpool(stateDir: string, lines: number): void {
  const dir = join(stateDir, 'attempts', BIG);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const at = new Date().toISOString();
  const chunks: string[] = [];
  for (let seq = 1; seq <= lines; seq++) {
    chunks.push(JSON.stringify({ seq, at, type: 'job.agent', data: { event: benchLogEvent(seq) } }));
  }
  writeFileSync(join(dir, 'events.ndjson'), `${chunks.join('\n')}\n`, { mode: 0o600 });
}
