import {
  appendFileSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
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
  /** Assigns the next seq, writes the event durably, and returns it. */
  append(attemptId: string, event: Omit<AttemptEvent, 'seq'>): AttemptEvent;
  /** Events with seq > afterSeq, in order, at most `limit`. */
  read(attemptId: string, afterSeq: number, limit: number): AttemptEvent[];
  lastSeq(attemptId: string): number;
  /** Drops what the server has acknowledged from memory (the file keeps everything). */
  release(attemptId: string, ackedSeq: number): void;
}

/** Keeps events in memory only: for tests and benchmarks, where durability is not the point. */
export function createMemoryEventSpool(): EventSpool {
  const attempts = new Map<string, { last: number; pending: AttemptEvent[] }>();
  const get = (id: string) => {
    let entry = attempts.get(id);
    if (!entry) attempts.set(id, (entry = { last: 0, pending: [] }));
    return entry;
  };
  return {
    append(attemptId, event) {
      const entry = get(attemptId);
      const full: AttemptEvent = { seq: entry.last + 1, ...event };
      entry.last = full.seq;
      entry.pending.push(full);
      return full;
    },
    read(attemptId, afterSeq, limit) {
      return get(attemptId)
        .pending.filter((e) => e.seq > afterSeq)
        .slice(0, limit);
    },
    lastSeq: (attemptId) => get(attemptId).last,
    release(attemptId, ackedSeq) {
      const entry = get(attemptId);
      entry.pending = entry.pending.filter((e) => e.seq > ackedSeq);
    },
  };
}

/**
 * NDJSON file per attempt at `<dir>/<attemptId>/events.ndjson`. Appends are synchronous so an event
 * is in the OS's hands before anyone can send it; `fsync: true` also survives power loss at the
 * cost of a disk flush per event. Unacknowledged events stay in memory for the uploader; on a
 * restart the file is read back, so a reattached attempt resumes from the server's ack.
 */
export function createFileEventSpool(dir: string, options: { fsync?: boolean } = {}): EventSpool {
  const memory = createMemoryEventSpool();
  const loaded = new Set<string>();
  const lastSeqs = new Map<string, number>();
  /** Per attempt, the highest seq dropped from memory; older events are read back from the file. */
  const released = new Map<string, number>();

  const fileOf = (attemptId: string) => join(dir, safeSegment(attemptId), 'events.ndjson');

  function load(attemptId: string): void {
    if (loaded.has(attemptId)) return;
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
    // Byte offset just past the last whole event line.
    let goodEnd = 0;
    const events: Array<Omit<AttemptEvent, 'seq'>> = [];
    while (goodEnd < bytes.length) {
      const newline = bytes.indexOf(0x0a, goodEnd);
      // A last line without its newline was torn (killed mid-write): its append never returned.
      if (newline === -1) break;
      const line = bytes.subarray(goodEnd, newline).toString('utf8');
      if (line.trim()) {
        try {
          const event = JSON.parse(line) as AttemptEvent;
          const { seq: _seq, ...rest } = event;
          events.push(rest);
        } catch {
          break;
        }
      }
      goodEnd = newline + 1;
    }
    if (goodEnd < bytes.length) {
      // Cut the torn tail off, or the next append would be glued to it and lost on the next load.
      try {
        truncateSync(fileOf(attemptId), goodEnd);
      } catch (error) {
        throw spoolError(attemptId, error);
      }
    }
    // Only a load that succeeded counts: a failed one is tried again rather than taken for an empty file.
    for (const event of events) memory.append(attemptId, event);
    lastSeqs.set(attemptId, memory.lastSeq(attemptId));
    loaded.add(attemptId);
  }

  function readFile(attemptId: string, afterSeq: number, limit: number): AttemptEvent[] {
    let text: string;
    try {
      text = readFileSync(fileOf(attemptId), 'utf8');
    } catch (error) {
      throw spoolError(attemptId, error);
    }
    const out: AttemptEvent[] = [];
    let seq = 0;
    for (const line of text.split('\n')) {
      if (out.length >= limit) break;
      if (!line.trim()) continue;
      seq += 1;
      if (seq > afterSeq) out.push({ ...(JSON.parse(line) as AttemptEvent), seq });
    }
    return out;
  }

  return {
    append(attemptId, event) {
      load(attemptId);
      const seq = (lastSeqs.get(attemptId) ?? 0) + 1;
      const full: AttemptEvent = { seq, ...event };
      const line = `${JSON.stringify(full)}\n`;
      try {
        if (options.fsync) {
          const fd = openSync(fileOf(attemptId), 'a', 0o600);
          try {
            appendFileSync(fd, line);
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
        } else {
          appendFileSync(fileOf(attemptId), line, { mode: 0o600 });
        }
      } catch (error) {
        throw spoolError(attemptId, error);
      }
      lastSeqs.set(attemptId, seq);
      memory.append(attemptId, event);
      return full;
    },
    read(attemptId, afterSeq, limit) {
      load(attemptId);
      // The server lost events it had acknowledged (a restore, a bug): the file still has them.
      if (afterSeq < (released.get(attemptId) ?? 0)) return readFile(attemptId, afterSeq, limit);
      return memory.read(attemptId, afterSeq, limit);
    },
    lastSeq(attemptId) {
      load(attemptId);
      return lastSeqs.get(attemptId) ?? 0;
    },
    release(attemptId, ackedSeq) {
      released.set(attemptId, Math.max(released.get(attemptId) ?? 0, ackedSeq));
      memory.release(attemptId, ackedSeq);
    },
  };
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
