import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  fstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AttemptEvent } from '@coord/runner-protocol';
import { CoordError } from '../errors.js';
import { findLineStart, readLines, readTail, type LineMark } from './spool-lines.js';

/**
 * Every attempt event is written here *before* it is uploaded (DESIGN.md section 4), numbered with
 * its per-attempt seq. Uploads read from the spool after the server's ack, so nothing is lost
 * through an outage or a restart and nothing is sent twice under a new seq.
 */
export interface EventSpool {
  /**
   * Assigns the next seq and returns the event. It is written by the end of the current task
   * (one write for all appended in it) and always before a read, a checkpoint or a finish; a
   * write that failed is reported by the next of those or the next append, its events kept.
   */
  append(attemptId: string, event: Omit<AttemptEvent, 'seq'>): AttemptEvent;
  /**
   * Events with seq > afterSeq, in order, at most `limit`, and (when `maxBytes` is given) no more
   * than `maxBytes` of NDJSON lines: always at least one event if there is one.
   */
  read(attemptId: string, afterSeq: number, limit: number, maxBytes?: number): AttemptEvent[];
  /**
   * The same events as `read`, as their NDJSON lines (each with its newline), unparsed: what an
   * upload sends as is. `first` is the seq of the first line; the others follow it one by one.
   */
  readLines(attemptId: string, afterSeq: number, limit: number, maxBytes?: number): SpooledLines;
  lastSeq(attemptId: string): number;
  /** Tells the spool the server holds everything up to `ackedSeq` (it may free memory). */
  release(attemptId: string, ackedSeq: number): void;
  /** Records that this runner holds an attempt, so a restarted runner knows it owes a report. */
  begin(attempt: SpooledAttempt): void;
  /** The server has the attempt's report (or gave the attempt away): nothing more is owed. */
  finish(attemptId: string): void;
  /**
   * Replaces the attempt's checkpoint (runner/checkpoint.ts), whole or not at all: a kill while
   * it is written leaves the one before.
   */
  checkpoint(attemptId: string, checkpoint: unknown): void;
  /** Attempts begun and not finished (a runner that stopped without reporting them), with their last checkpoint. */
  unfinished(): UnfinishedAttempt[];
}

/** Consecutive events as spooled: line i holds the event with seq `first + i`. */
export interface SpooledLines {
  first: number;
  lines: Buffer[];
}

export interface SpooledAttempt {
  attemptId: string;
  jobId: string;
  attemptNumber: number;
}

export interface UnfinishedAttempt extends SpooledAttempt {
  /** The last checkpoint written, unparsed (undefined when none was). */
  checkpoint: unknown;
}

/**
 * Keeps events in memory only: for tests and benchmarks, where durability is not the point. It
 * keeps every event (reads below an ack must still work), so it is not for long runs.
 */
export function createMemoryEventSpool(): EventSpool {
  const attempts = new Map<string, AttemptEvent[]>();
  const open = new Map<string, SpooledAttempt>();
  // Kept as the file spool keeps them, as JSON text (which is also cheaper than a structured clone).
  const checkpoints = new Map<string, string>();
  const eventsOf = (id: string) => {
    let events = attempts.get(id);
    if (!events) attempts.set(id, (events = []));
    return events;
  };
  function read(attemptId: string, afterSeq: number, limit: number, maxBytes = Number.POSITIVE_INFINITY) {
    const out: AttemptEvent[] = [];
    let bytes = 0;
    for (const event of eventsOf(attemptId).slice(Math.max(0, afterSeq), afterSeq + limit)) {
      bytes += eventLineBytes(event);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(event);
    }
    return out;
  }
  return {
    append(attemptId, event) {
      const events = eventsOf(attemptId);
      const full: AttemptEvent = { seq: events.length + 1, ...event };
      events.push(full);
      return full;
    },
    read,
    readLines(attemptId, afterSeq, limit, maxBytes) {
      const events = read(attemptId, afterSeq, limit, maxBytes);
      return { first: events[0]?.seq ?? afterSeq + 1, lines: events.map(eventLine) };
    },
    lastSeq: (attemptId) => eventsOf(attemptId).length,
    release: () => undefined,
    begin: (attempt) => void open.set(attempt.attemptId, attempt),
    finish: (attemptId) => void open.delete(attemptId),
    checkpoint: (attemptId, checkpoint) => void checkpoints.set(attemptId, JSON.stringify(checkpoint)),
    unfinished: () =>
      [...open.values()].map((attempt) => {
        const text = checkpoints.get(attempt.attemptId);
        return { ...attempt, checkpoint: text === undefined ? undefined : (JSON.parse(text) as unknown) };
      }),
  };
}

/** Per attempt: where its file's whole events end, and a few line starts already found. */
interface SpoolIndex {
  /** The offset just past the last whole event line (the file's size once a torn tail is cut). */
  end: number;
  lastSeq: number;
  /** seq -> offset of its line, for lines just read or written: the next read there needs no search. */
  marks: Map<number, number>;
  /** Lines appended and not yet written (see `append`), in order. */
  unwritten: string[];
  /** What a failed write left of the lines before them, unwritten. */
  rest: Buffer | null;
  /** A write of the unwritten lines is scheduled. */
  scheduled: boolean;
  /** The attempt's directory exists: made by the first write, so a read of an unknown attempt leaves nothing behind. */
  dirMade: boolean;
  /**
   * The events file, open for appending from the first write to the finish: opening it for each
   * write cost more than the write (a long turn writes thousands of times). A failed write closes
   * it, and the next opens the file anew.
   */
  appendFd: number | null;
}

/** Line starts kept per attempt: enough for an uploader and a few log views reading along. */
const MAX_MARKS = 256;

/**
 * NDJSON file per attempt at `<dir>/<attemptId>/events.ndjson`. Appends are written together, in
 * one write at the end of the task that made them (a microtask: the agent's output chunk is then
 * parsed), and always before anything reads them back to send, checkpoints the next seq or
 * finishes the attempt: so an event is in the OS's hands before anyone can send it, and one write
 * serves a whole chunk of output instead of one per event. `fsync: true` also survives power
 * loss, at the cost of a disk flush per write. Memory holds no events and no index: line k is the
 * event with seq k and says so, so any page is found in the file itself by a binary search over
 * byte offsets (spool-lines.ts), and the last event by reading backwards from the end. Uploads
 * read their batch back from the file as its lines, unparsed (`readLines`; the OS's page cache
 * makes that cheap), so a long, chatty attempt or a long outage costs disk, not heap, and
 * opening a million-event log anywhere costs a few small reads. On a restart the file's tail is read again, so a reattached attempt resumes
 * from the server's ack.
 */
export function createFileEventSpool(dir: string, options: { fsync?: boolean } = {}): EventSpool {
  const indexes = new Map<string, SpoolIndex>();

  const fileOf = (attemptId: string) => join(dir, safeSegment(attemptId), 'events.ndjson');

  function load(attemptId: string): SpoolIndex {
    const known = indexes.get(attemptId);
    if (known) return known;
    let tail = { end: 0, lastSeq: 0 };
    let size = 0;
    let exists: boolean;
    try {
      const fd = openIfExists(fileOf(attemptId));
      exists = fd !== undefined;
      if (fd !== undefined) {
        try {
          size = fstatSync(fd).size;
          tail = readTail(fd, size);
        } finally {
          closeSync(fd);
        }
      }
      // Cut a torn tail off, or the next append would be glued to it and lost on the next load.
      if (tail.end < size) truncateSync(fileOf(attemptId), tail.end);
    } catch (error) {
      throw spoolError(attemptId, error);
    }
    // Only a load that succeeded counts: a failed one is tried again rather than taken for an empty file.
    const index: SpoolIndex = {
      ...tail,
      marks: new Map(),
      unwritten: [],
      rest: null,
      scheduled: false,
      dirMade: exists,
      appendFd: null,
    };
    indexes.set(attemptId, index);
    return index;
  }

  /**
   * Writes what was appended and not yet written, in one write. A failed write keeps what it did
   * not write (the next call tries again) and throws, so nothing is lost or reordered.
   */
  function write(attemptId: string, index: SpoolIndex): void {
    if (index.unwritten.length === 0 && index.rest === null) return;
    const lines = Buffer.from(index.unwritten.join(''), 'utf8');
    let bytes = index.rest ? Buffer.concat([index.rest, lines]) : lines;
    index.unwritten = [];
    index.rest = null;
    try {
      makeDir(attemptId, index);
      const fd = (index.appendFd ??= openSync(fileOf(attemptId), 'a', 0o600));
      while (bytes.length > 0) bytes = bytes.subarray(writeSync(fd, bytes));
      if (options.fsync) fsyncSync(fd);
    } catch (error) {
      index.rest = bytes.length > 0 ? bytes : null;
      closeAppend(index);
      throw spoolError(attemptId, error);
    }
  }

  function closeAppend(index: SpoolIndex): void {
    if (index.appendFd === null) return;
    try {
      closeSync(index.appendFd);
    } catch {
      // A descriptor that already failed: nothing is left to do with it.
    }
    index.appendFd = null;
  }

  /** The attempt's directory, made before its first file is written. */
  function makeDir(attemptId: string, index: SpoolIndex): void {
    if (index.dirMade) return;
    mkdirSync(join(dir, safeSegment(attemptId)), { recursive: true, mode: 0o700 });
    index.dirMade = true;
  }

  /** The write at the end of the task; its failure waits for the next reader, which is told. */
  function scheduleWrite(attemptId: string, index: SpoolIndex): void {
    if (index.scheduled) return;
    index.scheduled = true;
    queueMicrotask(() => {
      index.scheduled = false;
      try {
        write(attemptId, index);
      } catch {
        // Kept in `rest`: read, checkpoint and finish write it first, and throw if they cannot.
      }
    });
  }

  /** A write failed before: the caller hears of it (and the lines are tried again). */
  function written(attemptId: string): SpoolIndex {
    const index = load(attemptId);
    write(attemptId, index);
    return index;
  }

  function mark(index: SpoolIndex, seq: number, offset: number): void {
    index.marks.set(seq, offset);
    // The oldest mark goes first (a Map keeps insertion order).
    if (index.marks.size > MAX_MARKS) index.marks.delete(index.marks.keys().next().value!);
  }

  /** Where the line of `seq` (1..lastSeq + 1) starts: from a mark, or searched between the nearest ones. */
  function lineStart(fd: number, index: SpoolIndex, seq: number): number {
    if (seq > index.lastSeq) return index.end;
    const known = index.marks.get(seq);
    if (known !== undefined) return known;
    let low: LineMark = { seq: 1, offset: 0 };
    let high: LineMark = { seq: index.lastSeq + 1, offset: index.end };
    for (const [at, offset] of index.marks) {
      if (at < seq && at > low.seq) low = { seq: at, offset };
      else if (at > seq && at < high.seq) high = { seq: at, offset };
    }
    return findLineStart(fd, seq, low, high);
  }

  /**
   * The lines after `afterSeq`, checked to be numbered as their place in the file says (by their
   * opening `{"seq":N,`, which every line is written with: nothing is parsed).
   */
  function readSpooled(attemptId: string, afterSeq: number, limit: number, maxBytes: number): Buffer[] {
    const index = written(attemptId);
    const count = Math.min(limit, index.lastSeq - afterSeq);
    if (count <= 0) return [];
    let fd: number | undefined;
    try {
      fd = openSync(fileOf(attemptId), 'r');
      const start = lineStart(fd, index, afterSeq + 1);
      const lines = readLines(fd, start, index.end, count, maxBytes);
      mark(index, afterSeq + 1, start);
      mark(index, afterSeq + lines.length + 1, start + lines.reduce((sum, line) => sum + line.length, 0));
      lines.forEach((line, i) => {
        const opening = `{"seq":${afterSeq + i + 1},`;
        if (line.toString('latin1', 0, opening.length) !== opening) {
          const held = /^\{"seq":(\d+)/.exec(line.toString('latin1', 0, 32))?.[1] ?? 'none';
          throw new Error(`line ${afterSeq + i + 1} holds seq ${held}: the file was changed`);
        }
      });
      return lines;
    } catch (error) {
      throw spoolError(attemptId, error);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  return {
    append(attemptId, event) {
      const index = load(attemptId);
      // An earlier write failed: this append says so (its event is kept and written later).
      if (index.rest !== null) write(attemptId, index);
      const seq = index.lastSeq + 1;
      const full: AttemptEvent = { seq, ...event };
      const line = `${JSON.stringify(full)}\n`;
      index.unwritten.push(line);
      mark(index, seq, index.end);
      index.end += Buffer.byteLength(line, 'utf8');
      index.lastSeq = seq;
      if (index.unwritten.length >= MAX_UNWRITTEN) write(attemptId, index);
      else scheduleWrite(attemptId, index);
      return full;
    },
    read(attemptId, afterSeq, limit, maxBytes = Number.POSITIVE_INFINITY) {
      const lines = readSpooled(attemptId, Math.max(0, afterSeq), limit, maxBytes);
      return lines.map((line) => JSON.parse(line.toString('utf8')) as AttemptEvent);
    },
    readLines(attemptId, afterSeq, limit, maxBytes = Number.POSITIVE_INFINITY) {
      const from = Math.max(0, afterSeq);
      return { first: from + 1, lines: readSpooled(attemptId, from, limit, maxBytes) };
    },
    lastSeq: (attemptId) => load(attemptId).lastSeq,
    // Nothing to drop: events live in the file only.
    release: () => undefined,
    begin(attempt) {
      const attemptDir = join(dir, safeSegment(attempt.attemptId));
      try {
        mkdirSync(attemptDir, { recursive: true, mode: 0o700 });
        writeFileSync(join(attemptDir, 'attempt.json'), `${JSON.stringify(attempt)}\n`, { mode: 0o600 });
      } catch (error) {
        throw spoolError(attempt.attemptId, error);
      }
    },
    finish(attemptId) {
      const index = written(attemptId);
      // Nothing is appended after the finish.
      closeAppend(index);
      try {
        makeDir(attemptId, index);
        writeFileSync(join(dir, safeSegment(attemptId), 'finished'), '', { mode: 0o600 });
      } catch (error) {
        throw spoolError(attemptId, error);
      }
    },
    checkpoint(attemptId, checkpoint) {
      // Its next seq must not name events the file does not hold yet.
      const index = written(attemptId);
      const file = join(dir, safeSegment(attemptId), 'checkpoint.json');
      try {
        makeDir(attemptId, index);
        writeFileSync(`${file}.tmp`, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
        if (options.fsync) {
          const fd = openSync(`${file}.tmp`, 'r');
          try {
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
        }
        renameSync(`${file}.tmp`, file);
      } catch (error) {
        throw spoolError(attemptId, error);
      }
    },
    unfinished() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return []; // no spool yet
      }
      const out: UnfinishedAttempt[] = [];
      for (const name of names) {
        if (existsSync(join(dir, name, 'finished'))) continue;
        try {
          const meta = JSON.parse(readFileSync(join(dir, name, 'attempt.json'), 'utf8')) as SpooledAttempt;
          if (typeof meta.attemptId === 'string' && typeof meta.jobId === 'string')
            out.push({ ...meta, checkpoint: readCheckpoint(join(dir, name, 'checkpoint.json')) });
        } catch {
          // Not an attempt this runner began (or its record is unreadable): nothing to recover.
        }
      }
      return out;
    },
  };
}

/** The file opened for reading, or undefined when there is none yet. */
function openIfExists(file: string): number | undefined {
  try {
    return openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Lines appended in one task before they are written at once anyway (bounds the memory held). */
const MAX_UNWRITTEN = 4096;

/** A checkpoint as written, or undefined when there is none or it cannot be read (then it is not used). */
function readCheckpoint(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** An event as the spool writes it: one NDJSON line, seq first. */
export function eventLine(event: AttemptEvent): Buffer {
  return Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
}

/** The size of an event as one NDJSON line (its newline stands for the comma in a batch). */
export function eventLineBytes(event: AttemptEvent): number {
  return Buffer.byteLength(JSON.stringify(event)) + 1;
}

function safeSegment(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(id) || id.includes('..')) {
    throw new CoordError(
      'store.failed',
      `Refusing to store events under an unsafe attempt id: ${JSON.stringify(id)}`,
    );
  }
  // `:` is not allowed in Windows file names. `%` never occurs in an id, so `%3A` cannot collide
  // with another id (`_` could: `a:b` and `a_b` would share one spool).
  return id.replace(/:/g, '%3A');
}

function spoolError(attemptId: string, cause: unknown): CoordError {
  return new CoordError(
    'store.failed',
    `Cannot write the event spool of attempt ${attemptId}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );
}
