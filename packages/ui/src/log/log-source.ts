import type { AttemptEvent } from '@coord/runner-protocol';
import { searchableText, toLogEntry } from './log-entry.js';

/** What to look for in a log: a text (case-insensitive), or the start of a tool call. */
export type LogQuery = { text: string } | { toolCalls: true };

/**
 * Where the log view reads an attempt's events, by index (index i is seq i + 1: seqs have no gaps).
 * The view only asks for the rows it draws, so an implementation keeps a bounded window in memory
 * and fetches the rest page by page (the local server's JSON API, the runner's event spool).
 */
export interface LogSource {
  /** Events the attempt has now. */
  length(): number;
  /** The event at `index`, or undefined while it is not loaded (`ensure` loads it). */
  get(index: number): AttemptEvent | undefined;
  /** Loads rows [start, end); resolves when they can be read (or rejects, saying why). */
  ensure(start: number, end: number): Promise<void>;
  /** Called whenever the length grows or loaded rows change. */
  subscribe(listener: () => void): () => void;
  /** The nearest matching index from `from` (inclusive) in `direction`, or null. */
  find(query: LogQuery, from: number, direction: 1 | -1): Promise<number | null>;
}

export function matches(event: AttemptEvent, query: LogQuery): boolean {
  const entry = toLogEntry(event);
  if ('toolCalls' in query) return entry.kind === 'tool';
  return searchableText(entry).toLowerCase().includes(query.text.toLowerCase());
}

/** A small base: listeners, and a length that only grows. */
abstract class BaseSource implements LogSource {
  private readonly listeners = new Set<() => void>();
  protected total = 0;
  abstract get(index: number): AttemptEvent | undefined;
  abstract ensure(start: number, end: number): Promise<void>;
  abstract find(query: LogQuery, from: number, direction: 1 | -1): Promise<number | null>;
  length(): number {
    return this.total;
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  protected changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Every event in memory: for short logs, tests and stories. */
export class ArrayLogSource extends BaseSource {
  constructor(private readonly events: AttemptEvent[] = []) {
    super();
    this.total = events.length;
  }
  get(index: number): AttemptEvent | undefined {
    return this.events[index];
  }
  async ensure(): Promise<void> {}
  append(events: AttemptEvent[]): void {
    this.events.push(...events);
    this.total = this.events.length;
    this.changed();
  }
  async find(query: LogQuery, from: number, direction: 1 | -1): Promise<number | null> {
    for (let i = from; i >= 0 && i < this.events.length; i += direction) {
      if (matches(this.events[i]!, query)) return i;
    }
    return null;
  }
}

export interface PagedLogSourceOptions {
  /** Events with seq > after, at most `limit` of them, in seq order. */
  fetchPage(after: number, limit: number): Promise<AttemptEvent[]>;
  /** A server-side search; without one, pages are fetched and searched here. */
  find?(query: LogQuery, from: number, direction: 1 | -1): Promise<number | null>;
  /** Events known to exist when the view opens (e.g. the attempt's `eventsAcked`). */
  length?: number;
  pageSize?: number;
  /** Pages kept in memory; the least recently used goes first. */
  maxPages?: number;
}

/**
 * Pages of events fetched on demand and kept in a small LRU cache, so a million-line log costs a
 * few pages of memory. Live events `append` to it (a stream), growing the length.
 */
export class PagedLogSource extends BaseSource {
  private readonly pages = new Map<number, AttemptEvent[]>();
  private readonly loading = new Map<number, Promise<void>>();
  private readonly pageSize: number;
  private readonly maxPages: number;

  constructor(private readonly options: PagedLogSourceOptions) {
    super();
    this.total = options.length ?? 0;
    this.pageSize = options.pageSize ?? 500;
    this.maxPages = Math.max(4, options.maxPages ?? 40);
  }

  get(index: number): AttemptEvent | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  /** The server says the attempt has `length` events now. */
  grow(length: number): void {
    if (length <= this.total) return;
    this.total = length;
    this.changed();
  }

  /** Events that just happened (seq order): cached where their page is, and counted. */
  append(events: AttemptEvent[]): void {
    for (const event of events) {
      const index = event.seq - 1;
      const number = Math.floor(index / this.pageSize);
      const page = this.pages.get(number);
      if (page && page.length === index % this.pageSize) page.push(event);
      else if (!page && index % this.pageSize === 0) this.keep(number, [event]);
      this.total = Math.max(this.total, event.seq);
    }
    if (events.length > 0) this.changed();
  }

  async ensure(start: number, end: number): Promise<void> {
    const first = Math.floor(Math.max(0, start) / this.pageSize);
    const last = Math.floor(Math.max(0, Math.min(end, this.total) - 1) / this.pageSize);
    const waits: Promise<void>[] = [];
    for (let n = first; n <= last; n++) waits.push(this.load(n));
    await Promise.all(waits);
  }

  private load(number: number): Promise<void> {
    const page = this.pages.get(number);
    const wanted = Math.min(this.pageSize, this.total - number * this.pageSize);
    if (page && page.length >= wanted) {
      this.touch(number, page);
      return Promise.resolve();
    }
    let pending = this.loading.get(number);
    if (!pending) {
      pending = this.options
        .fetchPage(number * this.pageSize, this.pageSize)
        .then((events) => {
          this.keep(number, events);
          const end = number * this.pageSize + events.length;
          if (end > this.total) this.total = end;
          this.changed();
        })
        .finally(() => this.loading.delete(number));
      this.loading.set(number, pending);
    }
    return pending;
  }

  private touch(number: number, page: AttemptEvent[]): void {
    this.pages.delete(number);
    this.pages.set(number, page);
  }

  private keep(number: number, events: AttemptEvent[]): void {
    this.touch(number, events);
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value!);
  }

  async find(query: LogQuery, from: number, direction: 1 | -1): Promise<number | null> {
    if (this.options.find) return this.options.find(query, from, direction);
    for (let i = from; i >= 0 && i < this.total;) {
      await this.ensure(i, i + 1);
      const event = this.get(i);
      if (event && matches(event, query)) return i;
      i += direction;
    }
    return null;
  }
}
