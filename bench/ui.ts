import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '@coord/browser-tests/chromium';
import { startLocalServer, type LocalServer } from '@coord/local-server';
import type { Page } from 'playwright-core';
import { benchLogEvent, heapMb, percentile, round1, scrollFrames } from './browser-measure.js';

/**
 * The agent log view with a huge log: a finished job whose attempt holds `lines` events (mostly
 * command output, a tool call every 50 lines, a message every 500), opened on the web app's job
 * page in headless Chromium. Reports how long until the first log row shows, the 95th percentile
 * frame time while scrolling through the log (pages are fetched from the server as it goes),
 * and the page's JS heap afterwards (after a GC): it must not grow with the log.
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { lines: { type: 'string', default: '1000000' }, frames: { type: 'string', default: '240' } },
  });
  const result = await measureUi({ lines: Number(values.lines), frames: Number(values.frames) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export async function measureUi(options: { lines: number; frames: number }) {
  const { lines } = options;
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-ui-'));
  const server = await startLocalServer({ dataDir: join(root, 'server') });
  const chromium = await launchChromium();
  try {
    const jobId = await finishedJobWithLog(server, lines);
    const page = await chromium.browser.newPage({ viewport: { width: 1360, height: 900 } });
    await signIn(page, server);
    const firstRenderMs = await openLog(page, `${server.url}/jobs/${jobId}`);
    const frames = await scrollFrames(page, '.cr-log-scroll', options.frames);
    const jsHeapMb = await heapMb(page);
    const rows = await page.locator('.cr-log-row').count();
    return {
      bench: 'ui',
      lines,
      first_render_ms: Math.round(firstRenderMs),
      scroll_frame_ms_p95: round1(percentile(frames.work, 0.95)),
      scroll_frame_ms_p50: round1(percentile(frames.work, 0.5)),
      scroll_frames: frames.work.length,
      scroll_long_frames: frames.longFrames,
      js_heap_mb: jsHeapMb,
      dom_rows: rows,
    };
  } finally {
    await chromium.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

async function call(server: LocalServer, method: string, path: string, body?: unknown, runnerId?: string) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
      ...(runnerId ? { 'coord-runner-id': runnerId } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A job through the protocol, its log written straight into the server's database (fast). */
async function finishedJobWithLog(server: LocalServer, lines: number): Promise<string> {
  const runner = await call(server, 'POST', '/v1/runners/register', {
    machineId: 'bench-ui-machine',
    name: 'bench-ui',
    platform: 'linux',
    arch: 'x64',
    version: 'bench',
    agents: [{ id: 'demo', state: 'detected', version: '1', enabled: true }],
    capacity: 1,
  });
  const runnerId = runner['runner'].id as string;
  await call(server, 'POST', '/v1/workspaces/local/jobs', {
    title: `A log of ${lines.toLocaleString('en')} lines`,
    instructions: 'Print a lot.',
    context: { type: 'local' },
    agent: { id: 'demo', plan: [{ type: 'say', text: 'unused' }] },
  });
  const { assignment } = await call(server, 'POST', `/v1/runners/${runnerId}/claim`, { waitMs: 0 }, runnerId);
  const attemptId = assignment.attempt.id as string;
  const at = new Date().toISOString();
  const insert = server.store.db.prepare(
    'INSERT INTO events (attempt_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)',
  );
  server.store.db.transaction(() => {
    for (let seq = 1; seq <= lines; seq++) {
      const event = benchLogEvent(seq);
      insert.run(attemptId, seq, at, 'job.agent', JSON.stringify({ event }));
    }
  })();
  server.store.db.prepare('UPDATE attempts SET events_acked = ? WHERE id = ?').run(lines, attemptId);
  // The insert held the event loop for seconds: let the server close the keep-alive sockets that
  // timed out meanwhile before the next request would pick one up (ECONNRESET).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const done = await call(
    server,
    'POST',
    `/v1/attempts/${attemptId}/complete`,
    { outcome: 'succeeded', summary: 'Printed a lot.', lastSeq: lines },
    runnerId,
  );
  return done['job'].id as string;
}

async function signIn(page: Page, server: LocalServer): Promise<void> {
  await page.goto(`${server.url}/sign-in?next=%2F`);
  await page.fill('input[name="token"]', server.token);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
}

/** Milliseconds from navigation start until a loaded log row is on screen. */
async function openLog(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  const handle = await page.waitForFunction(
    () => (document.querySelector('.cr-log-row .cr-entry:not(.cr-loading)') ? performance.now() : 0),
    undefined,
    { polling: 'raf', timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}
