import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AttemptEvent } from '@coord/runner-protocol';
import { CoordError } from '../errors.js';

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
  const checkpoints = new Map<string, unknown>();
  const eventsOf = (id: string) => {
    let events = attempts.get(id);
    if (!events) attempts.set(id, (events = []));
    return events;
  };
  return {
    append(attemptId, event) {
      const events = eventsOf(attemptId);
      const full: AttemptEvent = { seq: events.length + 1, ...event };
      events.push(full);
      return full;
    },
    read(attemptId, afterSeq, limit, maxBytes = Number.POSITIVE_INFINITY) {
      const out: AttemptEvent[] = [];
      let bytes = 0;
      for (const event of eventsOf(attemptId).slice(Math.max(0, afterSeq), afterSeq + limit)) {
        bytes += eventLineBytes(event);
        if (out.length > 0 && bytes > maxBytes) break;
        out.push(event);
      }
      return out;
    },
    lastSeq: (attemptId) => eventsOf(attemptId).length,
    release: () => undefined,
    begin: (attempt) => void open.set(attempt.attemptId, attempt),
    finish: (attemptId) => void open.delete(attemptId),
    checkpoint: (attemptId, checkpoint) => void checkpoints.set(attemptId, structuredClone(checkpoint)),
    unfinished: () =>
      [...open.values()].map((attempt) => ({ ...attempt, checkpoint: checkpoints.get(attempt.attemptId) })),
  };
}

/** Per attempt: where each event's line starts in the file, so reads need no scan. */
interface SpoolIndex {
  /** `starts[k]` is the byte offset of seq k+1; the last entry is the file's size once written. */
  starts: number[];
  /** Lines appended and not yet written (see `append`), in order. */
  unwritten: string[];
  /** What a failed write left of the lines before them, unwritten. */
  rest: Buffer | null;
  /** A write of the unwritten lines is scheduled. */
  scheduled: boolean;
}

/**
 * NDJSON file per attempt at `<dir>/<attemptId>/events.ndjson`. Appends are written together, in
 * one write at the end of the task that made them (a microtask: the agent's output chunk is then
 * parsed), and always before anything reads them back to send, checkpoints the next seq or
 * finishes the attempt: so an event is in the OS's hands before anyone can send it, and one write
 * serves a whole chunk of output instead of one per event. `fsync: true` also survives power loss,
 * at the cost of a disk flush per write. Memory holds only the byte offset of each line, never the events:
 * uploads read their batch back from the file (the OS's page cache makes that cheap), so a long,
 * chatty attempt or a long outage costs disk, not heap. On a restart the file is indexed again, so a
 * reattached attempt resumes from the server's ack.
 */
export function createFileEventSpool(dir: string, options: { fsync?: boolean } = {}): EventSpool {
  const indexes = new Map<string, SpoolIndex>();

  const fileOf = (attemptId: string) => join(dir, safeSegment(attemptId), 'events.ndjson');

  function load(attemptId: string): SpoolIndex {
    const known = indexes.get(attemptId);
    if (known) return known;
    const attemptDir = join(dir, safeSegment(attemptId));
    try {
      mkdirSync(attemptDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw spoolError(attemptId, error);
    }
    let bytes = Buffer.alloc(0);
    try {
      bytes = readFileSync(fileOf(attemptId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw spoolError(attemptId, error);
    }
    const starts = [0];
    // Line starts come from the newlines alone (memchr speed: a million-event log indexes in
    // milliseconds). Appends are sequential and each ends with its newline, so only the last
    // line can be torn by a kill mid-write: without its newline, or cut so it does not parse.
    for (let newline = bytes.indexOf(0x0a); newline !== -1; newline = bytes.indexOf(0x0a, newline + 1)) {
      starts.push(newline + 1);
    }
    if (starts.length > 1) {
      const lastLine = bytes.subarray(starts[starts.length - 2]!, starts[starts.length - 1]! - 1);
      try {
        JSON.parse(lastLine.toString('utf8'));
      } catch {
        starts.pop();
      }
    }
    // Byte offset just past the last whole event line.
    const goodEnd = starts[starts.length - 1]!;
    if (goodEnd < bytes.length) {
      // Cut the torn tail off, or the next append would be glued to it and lost on the next load.
      try {
        truncateSync(fileOf(attemptId), goodEnd);
      } catch (error) {
        throw spoolError(attemptId, error);
      }
    }
    // Only a load that succeeded counts: a failed one is tried again rather than taken for an empty file.
    const index: SpoolIndex = { starts, unwritten: [], rest: null, scheduled: false };
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
    let fd: number | undefined;
    try {
      fd = openSync(fileOf(attemptId), 'a', 0o600);
      while (bytes.length > 0) bytes = bytes.subarray(writeSync(fd, bytes));
      if (options.fsync) fsyncSync(fd);
    } catch (error) {
      index.rest = bytes.length > 0 ? bytes : null;
      throw spoolError(attemptId, error);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
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

  function readRange(attemptId: string, from: number, to: number): Buffer {
    const buffer = Buffer.alloc(to - from);
    let fd: number | undefined;
    try {
      fd = openSync(fileOf(attemptId), 'r');
      let done = 0;
      while (done < buffer.length) {
        const n = readSync(fd, buffer, done, buffer.length - done, from + done);
        if (n === 0) throw new Error(`the spool file ended at ${from + done} bytes, expected ${to}`);
        done += n;
      }
      return buffer;
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
      const { starts } = index;
      const seq = starts.length;
      const full: AttemptEvent = { seq, ...event };
      const line = `${JSON.stringify(full)}\n`;
      index.unwritten.push(line);
      starts.push(starts[starts.length - 1]! + Buffer.byteLength(line, 'utf8'));
      if (index.unwritten.length >= MAX_UNWRITTEN) write(attemptId, index);
      else scheduleWrite(attemptId, index);
      return full;
    },
    read(attemptId, afterSeq, limit, maxBytes = Number.POSITIVE_INFINITY) {
      const { starts } = written(attemptId);
      const last = starts.length - 1;
      const from = Math.max(0, afterSeq);
      let to = Math.min(last, from + limit);
      // The line offsets say how big each event is without reading it.
      while (to > from + 1 && starts[to]! - starts[from]! > maxBytes) to -= 1;
      if (to <= from) return [];
      const text = readRange(attemptId, starts[from]!, starts[to]!).toString('utf8');
      return text
        .split('\n')
        .slice(0, to - from)
        .map((line, i) => ({ ...(JSON.parse(line) as AttemptEvent), seq: from + i + 1 }));
    },
    lastSeq: (attemptId) => load(attemptId).starts.length - 1,
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
      written(attemptId);
      try {
        writeFileSync(join(dir, safeSegment(attemptId), 'finished'), '', { mode: 0o600 });
      } catch (error) {
        throw spoolError(attemptId, error);
      }
    },
    checkpoint(attemptId, checkpoint) {
      // Its next seq must not name events the file does not hold yet.
      written(attemptId);
      const file = join(dir, safeSegment(attemptId), 'checkpoint.json');
      try {
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
