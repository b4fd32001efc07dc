import { readSync } from 'node:fs';

/**
 * Line-level access to an open spool file without indexing it: line k (from 1) is the event
 * with seq k and carries that seq, so the file is its own index. A line is found by a binary
 * search over byte offsets (seek, skip to the next newline, read that line's seq), and the last
 * one by reading backwards from the end. A million-event log (170 MB) costs a few dozen small
 * reads to open at any page, not a scan of the whole file.
 */

const CHUNK = 64 * 1024;
const PROBE = 4 * 1024;
const NEWLINE = 0x0a;

/** Up to `length` bytes at `position` (fewer only at the end of the file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done < length ? buffer.subarray(0, done) : buffer;
}

/** The offset just past the first newline at or after `from` (before `end`), or `end` if there is none. */
function pastNextNewline(fd: number, from: number, end: number): number {
  // Small reads first: most lines are short, and a search reads one per probe.
  for (let pos = from, size = PROBE; pos < end; size = CHUNK) {
    const chunk = readAt(fd, pos, Math.min(size, end - pos));
    if (chunk.length === 0) break;
    const newline = chunk.indexOf(NEWLINE);
    if (newline !== -1) return pos + newline + 1;
    pos += chunk.length;
  }
  return end;
}

/** The offset just past the last newline before `end`, or 0 if there is none (a line's start). */
function pastPreviousNewline(fd: number, end: number): number {
  for (let to = end; to > 0;) {
    const from = Math.max(0, to - CHUNK);
    const newline = readAt(fd, from, to - from).lastIndexOf(NEWLINE);
    if (newline !== -1) return from + newline + 1;
    to = from;
  }
  return 0;
}

/** The text of the line starting at `start`, without its newline. */
function lineFrom(fd: number, start: number, end: number): Buffer {
  return readAt(fd, start, pastNextNewline(fd, start, end) - start);
}

/** The line parsed, or undefined when it is not JSON (a torn write). */
function parseLine(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The seq of a parsed event line; throws (for the caller to report) when it has none. */
function seqOf(event: unknown, line: Buffer): number {
  const seq = (event as { seq?: unknown } | undefined)?.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new Error(`a spool line has no seq: ${line.toString('utf8').slice(0, 80)}`);
  }
  return seq;
}

/** The seq an event line carries; throws when it is not an event line. */
export function seqOfLine(line: Buffer): number {
  return seqOf(parseLine(line), line);
}

export interface SpoolTail {
  /** The offset just past the last whole event line: anything after it is a torn write. */
  end: number;
  /** The seq of that line (0 for an empty file). */
  lastSeq: number;
}

/**
 * The last whole event of a file of `size` bytes. Appends are sequential and each ends with its
 * newline, so only the last line can be torn by a kill mid-write: without its newline, or cut
 * so it does not parse. Either is left out of `end`.
 */
export function readTail(fd: number, size: number): SpoolTail {
  let end = size;
  if (end > 0 && readAt(fd, end - 1, 1)[0] !== NEWLINE) end = pastPreviousNewline(fd, end);
  if (end === 0) return { end, lastSeq: 0 };
  const start = pastPreviousNewline(fd, end - 1);
  const line = readAt(fd, start, end - 1 - start);
  const event = parseLine(line);
  if (event !== undefined) return { end, lastSeq: seqOf(event, line) };
  // Torn inside the line (its end is garbage): the one before it is the last whole event. A
  // whole line without a seq is not torn: it is reported, not cut off.
  if (start === 0) return { end: 0, lastSeq: 0 };
  const before = pastPreviousNewline(fd, start - 1);
  return { end: start, lastSeq: seqOfLine(readAt(fd, before, start - 1 - before)) };
}

/** A line start whose seq is known. */
export interface LineMark {
  seq: number;
  offset: number;
}

/**
 * Where the line of `seq` starts, searched between two known line starts `low` (seq <= `seq`)
 * and `high` (seq > `seq`, typically the end of the file as seq lastSeq + 1).
 */
export function findLineStart(fd: number, seq: number, low: LineMark, high: LineMark): number {
  let lo = low;
  let hi = high;
  // Halve the byte range until the line is hit or the rest is short enough to walk through.
  while (hi.seq - lo.seq > 1 && hi.offset - lo.offset > CHUNK) {
    const start = pastNextNewline(fd, lo.offset + Math.floor((hi.offset - lo.offset) / 2), hi.offset);
    if (start >= hi.offset) break; // one long line spans the upper half: walk from `lo`
    const found = seqOfLine(lineFrom(fd, start, hi.offset));
    if (found <= lo.seq || found >= hi.seq) {
      throw new Error(`the line at byte ${start} has seq ${found}, outside ${lo.seq}..${hi.seq}`);
    }
    if (found === seq) return start;
    if (found < seq) lo = { seq: found, offset: start };
    else hi = { seq: found, offset: start };
  }
  return skipLines(fd, lo.offset, seq - lo.seq, hi.offset);
}

/** The offset just past the `lines`-th newline from `from` (a line start). */
function skipLines(fd: number, from: number, lines: number, end: number): number {
  let left = lines;
  let offset = from;
  for (let pos = from; left > 0 && pos < end;) {
    const chunk = readAt(fd, pos, Math.min(CHUNK, end - pos));
    if (chunk.length === 0) break;
    for (
      let newline = chunk.indexOf(NEWLINE);
      left > 0 && newline !== -1;
      newline = chunk.indexOf(NEWLINE, newline + 1)
    ) {
      left -= 1;
      offset = pos + newline + 1;
    }
    pos += chunk.length;
  }
  if (left > 0)
    throw new Error(`the spool file has ${left} lines fewer than its seqs say before byte ${end}`);
  return offset;
}

/**
 * Up to `count` lines from `start` (a line start) to `end`, with their newlines, and no more
 * than `maxBytes` of them in all: always at least one if there is one.
 */
export function readLines(fd: number, start: number, end: number, count: number, maxBytes: number): Buffer[] {
  const lines: Buffer[] = [];
  let bytes = 0;
  let carry: Buffer = Buffer.alloc(0);
  for (let pos = start; lines.length < count && pos < end;) {
    const read = readAt(fd, pos, Math.min(CHUNK, end - pos));
    if (read.length === 0) throw new Error(`the spool file ended at ${pos} bytes, expected ${end}`);
    pos += read.length;
    const chunk = carry.length ? Buffer.concat([carry, read]) : read;
    let lineStart = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, lineStart)) {
      const size = newline + 1 - lineStart;
      if (lines.length === count || (lines.length > 0 && bytes + size > maxBytes)) return lines;
      lines.push(chunk.subarray(lineStart, newline + 1));
      bytes += size;
      lineStart = newline + 1;
    }
    carry = chunk.subarray(lineStart);
  }
  return lines;
}
