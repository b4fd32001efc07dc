import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFileHistoryStore, type HistoryEntry } from '@coord/runner-core';

/**
 * The history of finished attempts at its default bound (10000 entries): how long its first use
 * takes to load it, one record, and a filtered page (the median of `queries`).
 */
export interface HistoryResult {
  bench: 'history';
  entries: number;
  load_ms: number;
  record_ms: number;
  query_ms: number;
  matched: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (n: number) => Math.round(n * 100) / 100;

function entry(n: number, now: number): HistoryEntry {
  return {
    attemptId: `att_${n.toString(36).padStart(8, '0')}`,
    jobId: `job_${n.toString(36).padStart(8, '0')}`,
    attemptNumber: 1 + (n % 3),
    title: `Job number ${n}: a title of a usual length for a job`,
    workspaceId: `ws-${n % 7}`,
    agent: n % 2 ? 'claude-code' : 'codex',
    outcome: n % 10 ? 'succeeded' : 'failed',
    summary: 'Changed three files and opened a pull request.',
    pullRequest: null,
    error:
      n % 10 ? null : { code: 'agent.crashed', message: 'The agent exited with code 1.', retryable: true },
    startedAt: now - (100_000 - n) * 60_000,
    finishedAt: now - (100_000 - n) * 60_000 + 30_000,
    durationMs: 30_000,
    usage: { inputTokens: 12_000, outputTokens: 3_000, cachedInputTokens: 0, costUsd: 0.12 },
  };
}

export async function measureHistory({
  entries,
  queries,
}: {
  entries: number;
  queries: number;
}): Promise<HistoryResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'coord-bench-history-'));
  const file = path.join(dir, 'attempts.ndjson');
  const now = Date.now();
  try {
    const retention = { maxEntries: entries, maxAgeMs: 1000 * 24 * 60 * 60 * 1000 };
    const writer = createFileHistoryStore(file, retention);
    for (let n = 0; n < entries; n += 1) writer.record(entry(n, now));

    // The file is read on first use: the first query pays for it.
    const loadStarted = performance.now();
    const store = createFileHistoryStore(file, retention);
    store.size();
    const load_ms = performance.now() - loadStarted;

    const recordStarted = performance.now();
    store.record(entry(entries, now));
    const record_ms = performance.now() - recordStarted;

    const filter = { outcome: ['failed' as const], workspaceId: 'ws-3', agent: 'codex' as const };
    let matched = 0;
    const times = Array.from({ length: queries }, () => {
      const started = performance.now();
      matched = store.query({ filter, limit: 50 }).entries.length;
      return performance.now() - started;
    });
    return {
      bench: 'history',
      entries,
      load_ms: round(load_ms),
      record_ms: round(record_ms),
      query_ms: round(median(times)),
      matched,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const entries = Number(
    /^--entries=(\d+)$/.exec(args.find((a) => a.startsWith('--entries=')) ?? '')?.[1] ?? 10_000,
  );
  const result = await measureHistory({ entries, queries: 20 });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
