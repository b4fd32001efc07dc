import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CoordError } from '../errors.js';
import { ControlError } from './control-error.js';
import {
  historyEntrySchema,
  type HistoryEntry,
  type HistoryFilter,
  type HistoryPage,
} from './control-api.js';

/** How much history is kept: the newest `maxEntries`, none older than `maxAgeMs` (DESIGN.md section 10). */
export interface HistoryRetention {
  maxEntries?: number;
  maxAgeMs?: number;
}

export const DEFAULT_HISTORY_RETENTION = { maxEntries: 10_000, maxAgeMs: 90 * 24 * 60 * 60 * 1000 };

/** The index of finished attempts (DESIGN.md section 11 `history`). */
export interface HistoryStore {
  /** Adds a finished attempt (again: the newer record replaces the older one). */
  record(entry: HistoryEntry): void;
  query(options?: { filter?: HistoryFilter; cursor?: string | null; limit?: number }): HistoryPage;
  get(attemptId: string): HistoryEntry | undefined;
  /** The newest attempt of a job. */
  latestOfJob(jobId: string): HistoryEntry | undefined;
  size(): number;
}

/** Entries ordered by when they finished, then by attempt id: the order pages walk backwards. */
const order = (a: HistoryEntry, b: HistoryEntry) =>
  a.finishedAt - b.finishedAt || (a.attemptId < b.attemptId ? -1 : a.attemptId > b.attemptId ? 1 : 0);

const cursorOf = (e: HistoryEntry) => `${e.finishedAt}~${e.attemptId}`;

function parseCursor(cursor: string): Pick<HistoryEntry, 'finishedAt' | 'attemptId'> {
  const at = cursor.indexOf('~');
  const finishedAt = Number(cursor.slice(0, at));
  if (at < 1 || !Number.isInteger(finishedAt)) {
    throw new ControlError(
      'control.bad_request',
      `"${cursor}" is not a history cursor.`,
      'Pass the cursor a page printed, with the same filters.',
    );
  }
  return { finishedAt, attemptId: cursor.slice(at + 1) };
}

function matches(e: HistoryEntry, f: HistoryFilter): boolean {
  return (
    (f.outcome === undefined || f.outcome.includes(e.outcome)) &&
    (f.workspaceId === undefined || e.workspaceId === f.workspaceId) &&
    (f.agent === undefined || e.agent === f.agent) &&
    (f.jobId === undefined || e.jobId === f.jobId) &&
    (f.since === undefined || e.finishedAt >= f.since) &&
    (f.until === undefined || e.finishedAt < f.until) &&
    (f.text === undefined || containsText(e, f.text.toLowerCase()))
  );
}

function containsText(e: HistoryEntry, lower: string): boolean {
  return [e.title, e.summary, e.jobId, e.pullRequest?.url ?? ''].some((field) =>
    field.toLowerCase().includes(lower),
  );
}

/**
 * In memory, sorted; for tests and as the query engine of the file store. Tens of thousands of
 * entries filter in a millisecond or two, so there is no secondary index to keep consistent.
 */
function createIndex(retention: Required<HistoryRetention>, now: () => number) {
  let entries: HistoryEntry[] = [];
  const byAttempt = new Map<string, HistoryEntry>();

  /** Position of the first entry not before `key`. */
  const lowerBound = (key: Pick<HistoryEntry, 'finishedAt' | 'attemptId'>) => {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(entries[mid]!, key as HistoryEntry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  return {
    /** Many entries at once (a file read at start): one sort, not a splice each. */
    addAll(batch: readonly HistoryEntry[]): void {
      for (const entry of batch) byAttempt.set(entry.attemptId, entry);
      entries = [...byAttempt.values()].sort(order);
    },
    add(entry: HistoryEntry): void {
      const known = byAttempt.get(entry.attemptId);
      if (known) entries.splice(lowerBound(known), 1);
      byAttempt.set(entry.attemptId, entry);
      entries.splice(lowerBound(entry), 0, entry);
    },
    /** Drops what retention no longer keeps; true when something was dropped. */
    prune(): boolean {
      const oldest = now() - retention.maxAgeMs;
      let cut = Math.max(0, entries.length - retention.maxEntries);
      while (cut < entries.length && entries[cut]!.finishedAt < oldest) cut += 1;
      if (cut === 0) return false;
      for (const gone of entries.slice(0, cut)) byAttempt.delete(gone.attemptId);
      entries = entries.slice(cut);
      return true;
    },
    all: () => entries,
    get: (attemptId: string) => byAttempt.get(attemptId),
    query({
      filter = {},
      cursor = null,
      limit = 50,
    }: { filter?: HistoryFilter; cursor?: string | null; limit?: number } = {}): HistoryPage {
      const out: HistoryEntry[] = [];
      let i = (cursor ? lowerBound(parseCursor(cursor)) : entries.length) - 1;
      for (; i >= 0 && out.length < limit; i -= 1) {
        if (matches(entries[i]!, filter)) out.push(entries[i]!);
      }
      // A next page exists only if an older entry matches too.
      let more = false;
      for (; i >= 0 && !more; i -= 1) more = matches(entries[i]!, filter);
      return { entries: out, nextCursor: more && out.length > 0 ? cursorOf(out[out.length - 1]!) : null };
    },
    latestOfJob(jobId: string): HistoryEntry | undefined {
      for (let i = entries.length - 1; i >= 0; i -= 1) if (entries[i]!.jobId === jobId) return entries[i];
      return undefined;
    },
  };
}

export function createMemoryHistoryStore(
  retention: HistoryRetention = {},
  now: () => number = Date.now,
): HistoryStore {
  const index = createIndex({ ...DEFAULT_HISTORY_RETENTION, ...retention }, now);
  return {
    record(entry) {
      index.add(historyEntrySchema.parse(entry));
      index.prune();
    },
    query: (options) => index.query(options),
    get: (id) => index.get(id),
    latestOfJob: (jobId) => index.latestOfJob(jobId),
    size: () => index.all().length,
  };
}

/**
 * One NDJSON file, appended to as attempts finish (one small synchronous write each: a crash loses
 * at most the line being written, which is skipped on the next load, like any line that does not
 * parse). Kept in memory sorted for queries. When the file holds many more lines than retention
 * keeps (replaced and expired entries), it is rewritten to a temporary file and renamed over the
 * old one, so a crash mid-compaction leaves the old file whole.
 */
export function createFileHistoryStore(
  file: string,
  retention: HistoryRetention = {},
  now: () => number = Date.now,
): HistoryStore {
  const limits = { ...DEFAULT_HISTORY_RETENTION, ...retention };
  const index = createIndex(limits, now);
  let lines = 0;

  let loaded = false;

  /**
   * Reads the file on first use, not at creation: a runner starts without parsing thousands of
   * lines, and pays for it when the history is first asked for or added to.
   */
  function load(): void {
    if (loaded) return;
    let text = '';
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw historyError(file, error);
    }
    loaded = true;
    let torn = false;
    const read: HistoryEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      lines += 1;
      try {
        const parsed = historyEntrySchema.safeParse(JSON.parse(line));
        if (parsed.success) read.push(parsed.data);
      } catch {
        torn = true; // a line cut short by a crash; the next compaction drops it
      }
    }
    index.addAll(read);
    // A torn last line without its newline would swallow the next append.
    if (torn || (text.length > 0 && !text.endsWith('\n')) || index.prune()) compact();
  }

  function compact(): void {
    const temp = `${file}.${process.pid}.tmp`;
    const body = index
      .all()
      .map((e) => `${JSON.stringify(e)}\n`)
      .join('');
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, file);
    } catch (error) {
      throw historyError(file, error);
    }
    lines = index.all().length;
  }

  return {
    record(entry) {
      const valid = historyEntrySchema.parse(entry);
      load();
      try {
        const fd = openSync(file, 'a', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(valid)}\n`);
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        throw historyError(file, error);
      }
      lines += 1;
      index.add(valid);
      index.prune();
      // Rewrite once the file carries as many dead lines (expired, replaced) as live ones: amortised
      // O(1) per record.
      if (lines > Math.max(64, index.all().length * 2)) compact();
    },
    query: (options) => (load(), index.query(options)),
    get: (id) => (load(), index.get(id)),
    latestOfJob: (jobId) => (load(), index.latestOfJob(jobId)),
    size: () => (load(), index.all().length),
  };
}

function historyError(file: string, cause: unknown): CoordError {
  return new CoordError(
    'store.failed',
    `Cannot use the history file ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );
}
