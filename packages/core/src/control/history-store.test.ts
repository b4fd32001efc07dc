import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEntry } from './control-api.js';
import { createFileHistoryStore, createMemoryHistoryStore } from './history-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function historyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coord-history-'));
  dirs.push(dir);
  return join(dir, 'history', 'attempts.ndjson');
}

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 1);

function entry(n: number, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    attemptId: `att-${n}`,
    jobId: `job-${n}`,
    attemptNumber: 1,
    title: `Job ${n}`,
    workspaceId: n % 2 ? 'odd' : 'even',
    agent: n % 3 ? 'demo' : 'claude-code',
    outcome: n % 5 ? 'succeeded' : 'failed',
    summary: '',
    pullRequest: null,
    error: n % 5 ? null : { code: 'agent.crashed', message: 'it crashed', retryable: true },
    startedAt: T0 + n * 1000 - 500,
    finishedAt: T0 + n * 1000,
    durationMs: 500,
    usage: { inputTokens: n, outputTokens: 2 * n, cachedInputTokens: 0, costUsd: n / 100 },
    ...extra,
  };
}

describe('the history of finished attempts', () => {
  it('survives a restart, owner-only, newest first', () => {
    const file = historyFile();
    const store = createFileHistoryStore(file, {}, () => T0 + 10_000);
    for (let n = 1; n <= 3; n += 1) store.record(entry(n));
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = createFileHistoryStore(file, {}, () => T0 + 10_000);
    expect(again.query().entries.map((e) => e.attemptId)).toEqual(['att-3', 'att-2', 'att-1']);
    expect(again.get('att-2')).toEqual(entry(2));
  });

  it('pages backwards with a cursor and filters by outcome, workspace, agent and date', () => {
    const store = createMemoryHistoryStore({}, () => T0 + 1000 * 1000);
    for (let n = 1; n <= 100; n += 1) store.record(entry(n));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = store.query({ cursor, limit: 30 });
      seen.push(...page.entries.map((e) => e.attemptId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => `att-${100 - i}`));

    const failedOdd = store.query({ filter: { outcome: ['failed'], workspaceId: 'odd' }, limit: 1000 });
    expect(failedOdd.entries.map((e) => e.attemptId)).toEqual([
      'att-95',
      'att-85',
      'att-75',
      'att-65',
      'att-55',
      'att-45',
      'att-35',
      'att-25',
      'att-15',
      'att-5',
    ]);
    const window = store.query({ filter: { since: T0 + 10_000, until: T0 + 13_000, agent: 'demo' } });
    expect(window.entries.map((e) => e.attemptId)).toEqual(['att-11', 'att-10']);
    // The last matching page says so: no cursor to an empty page.
    expect(store.query({ filter: { jobId: 'job-7' } })).toMatchObject({ nextCursor: null });
    expect(store.latestOfJob('job-7')?.attemptId).toBe('att-7');
  });

  it('finds entries by words in the title, summary, job id or pull request, ignoring case', () => {
    const store = createMemoryHistoryStore({}, () => T0 + 1000 * 1000);
    for (let n = 1; n <= 30; n += 1) store.record(entry(n));
    store.record(entry(31, { title: 'Fix the Login page', summary: 'made it faster' }));
    store.record(
      entry(32, {
        pullRequest: { url: 'https://forge.example/acme/site/pull/77', number: 77, branch: 'coord/job-32' },
      }),
    );
    const ids = (text: string) =>
      store.query({ filter: { text }, limit: 100 }).entries.map((e) => e.attemptId);
    expect(ids('login')).toEqual(['att-31']);
    expect(ids('FASTER')).toEqual(['att-31']);
    expect(ids('pull/77')).toEqual(['att-32']);
    expect(ids('job-2')).toEqual([
      'att-29',
      'att-28',
      'att-27',
      'att-26',
      'att-25',
      'att-24',
      'att-23',
      'att-22',
      'att-21',
      'att-20',
      'att-2',
    ]);
    expect(ids('nothing like it')).toEqual([]);
  });

  it('keeps one record per attempt: a later one replaces it', () => {
    const store = createMemoryHistoryStore({}, () => T0 + 10_000);
    store.record(entry(1));
    store.record(entry(1, { outcome: 'stopped', finishedAt: T0 + 5000 }));
    expect(store.size()).toBe(1);
    expect(store.query().entries[0]).toMatchObject({ outcome: 'stopped' });
  });

  it('is bounded by retention: count and age, and the file is compacted', () => {
    const file = historyFile();
    let now = T0 + 10_000;
    const store = createFileHistoryStore(file, { maxEntries: 50, maxAgeMs: 30 * DAY }, () => now);
    for (let n = 1; n <= 500; n += 1) store.record(entry(n));
    expect(store.size()).toBe(50);
    expect(store.query({ limit: 1000 }).entries.at(-1)?.attemptId).toBe('att-451');
    const lines = readFileSync(file, 'utf8').trim().split('\n').length;
    // Dead lines are rewritten away once they outnumber the live ones.
    expect(lines).toBeLessThanOrEqual(Math.max(64, 100));

    now = T0 + 31 * DAY;
    const later = createFileHistoryStore(file, { maxEntries: 50, maxAgeMs: 30 * DAY }, () => now);
    expect(later.size()).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('skips a line torn by a crash and keeps appending after it', () => {
    const file = historyFile();
    const store = createFileHistoryStore(file, {}, () => T0 + 10_000);
    store.record(entry(1));
    appendFileSync(file, JSON.stringify(entry(2)).slice(0, 40));

    const restarted = createFileHistoryStore(file, {}, () => T0 + 10_000);
    restarted.record(entry(3));
    const reread = createFileHistoryStore(file, {}, () => T0 + 10_000);
    expect(reread.query().entries.map((e) => e.attemptId)).toEqual(['att-3', 'att-1']);
  });

  it('refuses a cursor it did not make, saying so', () => {
    const store = createMemoryHistoryStore();
    expect(() => store.query({ cursor: 'page-2' })).toThrow(/not a history cursor/);
  });
});
