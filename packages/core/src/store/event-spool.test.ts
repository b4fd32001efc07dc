import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCoordError } from '../errors.js';
import { createFileEventSpool, createMemoryEventSpool, eventLineBytes } from './event-spool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coord-spool-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Appends are written at the end of the task that made them (and before any read). */
const endOfTask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Makes this process's descriptors of `file` fail, as a disk that went away does: each is
 * replaced, under its number, by a read-only one, so a write through it fails (EBADF).
 */
function failOpenDescriptors(file: string): void {
  for (const fd of descriptorsOf(file)) {
    closeSync(fd);
    // The lowest free number is the one just closed: the spool's next write meets this descriptor.
    const readOnly = openSync('/dev/null', 'r');
    if (readOnly !== fd) throw new Error(`descriptor ${fd} came back as ${readOnly}`);
  }
}

/** This process's open descriptors of `file` (Linux). */
function descriptorsOf(file: string): number[] {
  const real = realpathSync(file);
  const fds: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue;
    }
    if (target === real) fds.push(Number(name));
  }
  return fds;
}

const event = (n: number) => ({ at: `2030-01-01T00:00:0${n % 10}.000Z`, type: 'job.log', data: { n } });
const fileOf = (attemptId: string) => join(dir, attemptId, 'events.ndjson');
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { seq: number; data: { n: number } });

describe('createFileEventSpool', () => {
  it('numbers events 1..n per attempt and writes them as NDJSON with mode 0600', async () => {
    const spool = createFileEventSpool(dir);
    expect(spool.lastSeq('att-1')).toBe(0);
    const written = [1, 2, 3].map((n) => spool.append('att-1', event(n)));
    expect(written.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(spool.append('att-2', event(9)).seq).toBe(1);
    expect(spool.lastSeq('att-1')).toBe(3);

    await endOfTask();
    expect(lines(fileOf('att-1'))).toEqual(written);
    expect(statSync(fileOf('att-1')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'att-1')).mode & 0o077).toBe(0);
  });

  it('also writes 0600 files with fsync on', async () => {
    const spool = createFileEventSpool(dir, { fsync: true });
    spool.append('att-1', event(1));
    spool.append('att-1', event(2));
    await endOfTask();
    expect(lines(fileOf('att-1')).map((e) => e.seq)).toEqual([1, 2]);
    expect(statSync(fileOf('att-1')).mode & 0o777).toBe(0o600);
  });

  it('reads after a seq, in order, at most limit, also below what was released', () => {
    const spool = createFileEventSpool(dir);
    for (let n = 1; n <= 5; n++) spool.append('att-1', event(n));
    // Read in the same task as the appends: they are written first.
    expect(spool.read('att-1', 1, 2).map((e) => e.seq)).toEqual([2, 3]);
    spool.release('att-1', 3);
    expect(spool.read('att-1', 3, 10).map((e) => e.seq)).toEqual([4, 5]);
    expect(lines(fileOf('att-1'))).toHaveLength(5);
    // Released events are still read back from the file (for a server that lost them).
    expect(spool.read('att-1', 1, 3)).toEqual(lines(fileOf('att-1')).slice(1, 4));
    expect(spool.append('att-1', event(6)).seq).toBe(6);
  });

  it('reads any range by byte offset, multi-byte text included, before and after a reload', () => {
    const spool = createFileEventSpool(dir);
    for (let n = 1; n <= 3000; n++) {
      spool.append('att-1', {
        at: '2030-01-01T00:00:00.000Z',
        type: 'job.log',
        data: { text: `ünïcødé ✓ ${n}` },
      });
    }
    const check = (s: ReturnType<typeof createFileEventSpool>) => {
      expect(s.read('att-1', 2990, 500).map((e) => [e.seq, e.data])).toEqual(
        Array.from({ length: 10 }, (_, i) => [2991 + i, { text: `ünïcødé ✓ ${2991 + i}` }]),
      );
      expect(s.read('att-1', 1499, 2).map((e) => e.data)).toEqual([
        { text: 'ünïcødé ✓ 1500' },
        { text: 'ünïcødé ✓ 1501' },
      ]);
      expect(s.read('att-1', 3000, 10)).toEqual([]);
    };
    check(spool);
    check(createFileEventSpool(dir));
  });

  it('is reloaded by a new instance with the same lastSeq and its events readable', async () => {
    const first = createFileEventSpool(dir);
    const written = [1, 2, 3, 4].map((n) => first.append('att-1', event(n)));
    await endOfTask();

    const second = createFileEventSpool(dir);
    expect(second.lastSeq('att-1')).toBe(4);
    expect(second.read('att-1', 2, 10)).toEqual(written.slice(2));
    expect(second.append('att-1', event(5)).seq).toBe(5);
    await endOfTask();
    expect(lines(fileOf('att-1')).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops a torn last line on reload and keeps later appends readable after the next reload', async () => {
    const first = createFileEventSpool(dir);
    for (let n = 1; n <= 3; n++) first.append('att-1', event(n));
    await endOfTask();
    // Killed in the middle of writing the 4th event.
    appendFileSync(fileOf('att-1'), '{"seq":4,"at":"2030-01-01T00:00:04.000Z","type":"job.l');

    const second = createFileEventSpool(dir);
    expect(second.lastSeq('att-1')).toBe(3);
    expect(second.read('att-1', 0, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
    const next = second.append('att-1', event(4));
    expect(next.seq).toBe(4);
    second.append('att-1', event(5));
    await endOfTask();

    // What was written after the torn line must survive yet another restart.
    const third = createFileEventSpool(dir);
    expect(third.lastSeq('att-1')).toBe(5);
    expect(third.read('att-1', 0, 10).map((e) => [e.seq, e.data])).toEqual([
      [1, { n: 1 }],
      [2, { n: 2 }],
      [3, { n: 3 }],
      [4, { n: 4 }],
      [5, { n: 5 }],
    ]);
    expect(lines(fileOf('att-1')).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses unsafe attempt ids and writes nothing outside its dir', () => {
    const spool = createFileEventSpool(join(dir, 'spool'));
    for (const id of ['../x', 'a/b', '..', '.hidden', '', 'a\\b', 'a..b', '/etc']) {
      let caught: unknown = null;
      try {
        spool.append(id, event(1));
      } catch (error) {
        caught = error;
      }
      expect(isCoordError(caught), id).toBe(true);
      expect((caught as { code: string }).code).toBe('store.failed');
      expect(() => spool.read(id, 0, 1)).toThrow(/unsafe attempt id/);
    }
    expect(() => statSync(join(dir, 'x'))).toThrow();
  });

  it('does not forget a load that failed: a later call retries it instead of restarting at seq 1', async () => {
    const writer = createFileEventSpool(join(dir, 'spool'));
    for (let n = 1; n <= 3; n++) writer.append('att-1', event(n));
    await endOfTask();
    // Something is in the way the first time this instance looks (a stray file where the dir should be).
    const attemptDir = join(dir, 'spool', 'att-1');
    renameSync(attemptDir, join(dir, 'aside'));
    writeFileSync(attemptDir, 'not a directory');

    const reader = createFileEventSpool(join(dir, 'spool'));
    expect(() => reader.lastSeq('att-1')).toThrow(expect.objectContaining({ code: 'store.failed' }));
    rmSync(attemptDir);
    renameSync(join(dir, 'aside'), attemptDir);

    expect(reader.lastSeq('att-1')).toBe(3);
    expect(reader.append('att-1', event(4)).seq).toBe(4);
    await endOfTask();
    expect(lines(fileOf('spool/att-1')).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('leaves nothing behind when an attempt it never held is read (a log view of an unknown id)', async () => {
    const spool = createFileEventSpool(join(dir, 'spool'));
    expect(spool.lastSeq('att-unknown')).toBe(0);
    expect(spool.read('att-unknown', 0, 10)).toEqual([]);
    expect(spool.readLines('att-unknown', 0, 10).lines).toEqual([]);
    expect(existsSync(join(dir, 'spool', 'att-unknown'))).toBe(false);
    // Its first event, checkpoint or finish makes the directory.
    spool.append('att-unknown', event(1));
    await endOfTask();
    expect(lines(fileOf('spool/att-unknown')).map((e) => e.seq)).toEqual([1]);
    spool.checkpoint('att-cp', { step: 'running' });
    spool.finish('att-done');
    expect(existsSync(join(dir, 'spool', 'att-cp', 'checkpoint.json'))).toBe(true);
    expect(existsSync(join(dir, 'spool', 'att-done', 'finished'))).toBe(true);
  });

  it('keeps attempts whose ids differ only by ":" and "_" apart', async () => {
    const spool = createFileEventSpool(dir);
    spool.append('job:1', event(1));
    spool.append('job_1', event(2));
    await endOfTask();

    const reloaded = createFileEventSpool(dir);
    expect(reloaded.lastSeq('job:1')).toBe(1);
    expect(reloaded.lastSeq('job_1')).toBe(1);
    expect(reloaded.read('job:1', 0, 10).map((e) => e.data)).toEqual([{ n: 1 }]);
    expect(reloaded.read('job_1', 0, 10).map((e) => e.data)).toEqual([{ n: 2 }]);
  });

  // Linux: the disk's failure is made through /proc/self/fd.
  it.runIf(process.platform === 'linux')(
    'reports a write it cannot do as store.failed, and keeps the events to write them later',
    async () => {
      const spool = createFileEventSpool(dir);
      spool.append('att-1', event(1));
      await endOfTask();
      // The attempt's dir is gone for a while (a full or unmounted disk fails the same way): the
      // descriptor the spool keeps open fails, and the file is not where it was.
      failOpenDescriptors(fileOf('att-1'));
      renameSync(join(dir, 'att-1'), join(dir, 'aside'));
      expect(spool.append('att-1', event(2)).seq).toBe(2);
      await endOfTask();
      expect(() => spool.read('att-1', 0, 10)).toThrow(expect.objectContaining({ code: 'store.failed' }));
      expect(() => spool.append('att-1', event(3))).toThrow(
        expect.objectContaining({ code: 'store.failed' }),
      );
      expect(() => spool.checkpoint('att-1', { step: 'running' })).toThrow(
        expect.objectContaining({ code: 'store.failed' }),
      );
      // The refused append took no seq; the one before is kept.
      expect(spool.lastSeq('att-1')).toBe(2);

      renameSync(join(dir, 'aside'), join(dir, 'att-1'));
      expect(spool.read('att-1', 0, 10).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(spool.append('att-1', event(3)).seq).toBe(3);
      await endOfTask();
      expect(lines(fileOf('att-1')).map((e) => e.seq)).toEqual([1, 2, 3]);
    },
  );

  it.runIf(process.platform === 'linux')(
    'keeps one descriptor of an attempt open while it writes, and closes it at the finish',
    async () => {
      const spool = createFileEventSpool(dir);
      spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
      for (let n = 1; n <= 3; n++) {
        spool.append('att-1', event(n));
        await endOfTask();
      }
      expect(descriptorsOf(fileOf('att-1'))).toHaveLength(1);
      spool.finish('att-1');
      expect(descriptorsOf(fileOf('att-1'))).toEqual([]);
      expect(lines(fileOf('att-1')).map((e) => e.seq)).toEqual([1, 2, 3]);
    },
  );

  it('writes the appends of one task together, before a checkpoint or a finish', () => {
    const spool = createFileEventSpool(dir);
    spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
    for (let n = 1; n <= 3; n++) spool.append('att-1', event(n));
    spool.checkpoint('att-1', { nextSeq: 4 });
    expect(lines(fileOf('att-1')).map((e) => e.seq)).toEqual([1, 2, 3]);
    spool.append('att-1', event(4));
    spool.finish('att-1');
    expect(lines(fileOf('att-1')).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });
});

describe('checkpoints in the spool', () => {
  it('keeps the last checkpoint of an unfinished attempt for the next instance, whole, 0600', () => {
    const spool = createFileEventSpool(dir, { fsync: true });
    spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
    spool.begin({ attemptId: 'att-2', jobId: 'job-2', attemptNumber: 2 });
    spool.checkpoint('att-1', { step: 'preparing' });
    spool.checkpoint('att-1', { step: 'running', agentSessionId: 'sess-1' });
    expect(statSync(join(dir, 'att-1', 'checkpoint.json')).mode & 0o777).toBe(0o600);
    const unfinished = createFileEventSpool(dir).unfinished();
    expect(unfinished.sort((a, b) => a.attemptId.localeCompare(b.attemptId))).toEqual([
      {
        attemptId: 'att-1',
        jobId: 'job-1',
        attemptNumber: 1,
        checkpoint: { step: 'running', agentSessionId: 'sess-1' },
      },
      { attemptId: 'att-2', jobId: 'job-2', attemptNumber: 2, checkpoint: undefined },
    ]);
  });

  it('reads a checkpoint it cannot parse as none, and a half-written one never replaces the last', () => {
    const spool = createFileEventSpool(dir);
    spool.begin({ attemptId: 'att-1', jobId: 'job-1', attemptNumber: 1 });
    spool.checkpoint('att-1', { step: 'running' });
    // A kill while writing leaves only the temporary file.
    writeFileSync(join(dir, 'att-1', 'checkpoint.json.tmp'), '{"step":"publ');
    expect(createFileEventSpool(dir).unfinished()[0]!.checkpoint).toEqual({ step: 'running' });
    writeFileSync(join(dir, 'att-1', 'checkpoint.json'), '{"step":');
    expect(createFileEventSpool(dir).unfinished()[0]!.checkpoint).toBeUndefined();
  });

  it('has none for a finished attempt, in memory too', () => {
    for (const spool of [createFileEventSpool(dir), createMemoryEventSpool()]) {
      spool.begin({ attemptId: 'att-3', jobId: 'job-3', attemptNumber: 1 });
      const written = { step: 'running' };
      spool.checkpoint('att-3', written);
      written.step = 'changed later';
      expect(spool.unfinished()).toEqual([expect.objectContaining({ checkpoint: { step: 'running' } })]);
      spool.finish('att-3');
      expect(spool.unfinished()).toEqual([]);
    }
  });
});

describe('createMemoryEventSpool', () => {
  it('numbers and reads like the file spool, also below what was released', () => {
    const spool = createMemoryEventSpool();
    for (let n = 1; n <= 3; n++) spool.append('a', event(n));
    expect(spool.lastSeq('a')).toBe(3);
    spool.release('a', 2);
    expect(spool.read('a', 2, 10).map((e) => e.seq)).toEqual([3]);
    expect(spool.read('a', 0, 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(spool.lastSeq('b')).toBe(0);
  });
});

describe('read with a byte cap', () => {
  it.each([
    ['file', () => createFileEventSpool(dir)],
    ['memory', () => createMemoryEventSpool()],
  ])('%s: returns no more than maxBytes of lines, and always one event', (_name, make) => {
    const spool = make();
    const big = (n: number) => ({ ...event(n), data: { n, chunk: 'x'.repeat(1_000) } });
    for (let n = 1; n <= 10; n++) spool.append('att-1', big(n));
    const one = eventLineBytes(spool.read('att-1', 0, 1)[0]!);
    expect(spool.read('att-1', 0, 10, one * 3).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(spool.read('att-1', 0, 10, one * 3 - 1).map((e) => e.seq)).toEqual([1, 2]);
    expect(spool.read('att-1', 4, 10, 10).map((e) => e.seq)).toEqual([5]);
    expect(spool.read('att-1', 0, 2, Number.POSITIVE_INFINITY).map((e) => e.seq)).toEqual([1, 2]);
  });
});

describe('readLines', () => {
  it.each([
    ['file', () => createFileEventSpool(dir)],
    ['memory', () => createMemoryEventSpool()],
  ])('%s: the lines of what read returns, as written, with the seq they start at', (_name, make) => {
    const spool = make();
    for (let n = 1; n <= 6; n++)
      spool.append('att-1', { ...event(n), data: { n, text: 'é'.repeat(n * 100) } });
    const page = spool.readLines('att-1', 2, 3);
    expect(page.first).toBe(3);
    expect(page.lines.map((line) => JSON.parse(line.toString('utf8')) as unknown)).toEqual(
      spool.read('att-1', 2, 3),
    );
    for (const line of page.lines) expect(line.at(-1)).toBe(0x0a);
    const one = page.lines[0]!.length;
    expect(spool.readLines('att-1', 2, 10, one + page.lines[1]!.length).lines).toHaveLength(2);
    expect(spool.readLines('att-1', 2, 10, 1).lines).toHaveLength(1);
    expect(spool.readLines('att-1', 6, 10)).toEqual({ first: 7, lines: [] });
  });

  it('reads the file spool lines byte for byte as the file holds them', () => {
    const spool = createFileEventSpool(dir);
    for (let n = 1; n <= 3; n++) spool.append('att-1', event(n));
    const { lines } = spool.readLines('att-1', 0, 3);
    expect(Buffer.concat(lines).toString('utf8')).toBe(readFileSync(fileOf('att-1'), 'utf8'));
  });

  it('checks each line holds its seq, without parsing it', () => {
    const writer = createFileEventSpool(dir);
    for (let n = 1; n <= 3; n++) writer.append('att-1', event(n));
    writer.readLines('att-1', 3, 1);
    const text = readFileSync(fileOf('att-1'), 'utf8').replace('"seq":3,', '"seq":9,');
    writeFileSync(fileOf('att-1'), text);
    expect(() => createFileEventSpool(dir).readLines('att-1', 1, 3)).toThrow(
      expect.objectContaining({ code: 'store.failed', message: expect.stringMatching(/line 3 holds seq 9/) }),
    );
  });
});

describe('finding a page in a spool it has not indexed', () => {
  /** Lines of uneven size, some longer than one read (64 KB), as a chatty agent writes them. */
  const varied = (n: number) => ({
    at: '2030-01-01T00:00:00.000Z',
    type: 'job.log',
    data: { n, text: n % 997 === 0 ? 'y'.repeat(100_000) : 'x'.repeat((n * 37) % 300) },
  });
  const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  function writeSpool(count: number) {
    const writer = createFileEventSpool(dir);
    for (let n = 1; n <= count; n++) writer.append('att-1', varied(n));
    // Appends of one task are written at its end, or before anything reads them back.
    writer.read('att-1', count, 1);
    return lines(fileOf('att-1'));
  }

  it('reads any page by seq exactly from a fresh instance: the end, the middle, and next to long lines', () => {
    const all = writeSpool(5000);
    const reader = createFileEventSpool(dir);
    expect(reader.lastSeq('att-1')).toBe(5000);
    for (const [after, limit] of [
      [4500, 500],
      [0, 3],
      [2499, 7],
      [996, 2],
      [995, 1],
      [1993, 3],
      [4999, 10],
      [3717, 1],
    ] as const) {
      expect(reader.read('att-1', after, limit), `after ${after}`).toEqual(all.slice(after, after + limit));
    }
    // A second fresh reader, starting in the middle, agrees.
    expect(createFileEventSpool(dir).read('att-1', 1234, 5)).toEqual(all.slice(1234, 1239));
  });

  it('pages through the whole log from the end backwards without a gap or a repeat at page boundaries', () => {
    writeSpool(3000);
    const reader = createFileEventSpool(dir);
    const seen: number[] = [];
    for (let after = 3000 - 500; after > -500; after -= 500) {
      seen.unshift(...seqs(reader.read('att-1', Math.max(0, after), after < 0 ? 500 + after : 500)));
    }
    expect(seen).toEqual(range(1, 3000));
  });

  it.each([
    ['without its newline', '{"seq":4001,"at":"2030-01-01T00:00:00.000Z","type":"job.l'],
    ['cut so it does not parse', '{"seq":4001,"at":"2030-01-01T00:00:00.000Z","ty\n'],
  ])('leaves out a torn last line (%s) and pages up to the event before it', (_name, torn) => {
    const all = writeSpool(4000);
    appendFileSync(fileOf('att-1'), torn);
    const reader = createFileEventSpool(dir);
    expect(reader.lastSeq('att-1')).toBe(4000);
    expect(reader.read('att-1', 3500, 500)).toEqual(all.slice(3500));
    expect(reader.read('att-1', 3999, 500)).toEqual(all.slice(3999));
    expect(reader.read('att-1', 4000, 500)).toEqual([]);
    expect(reader.read('att-1', 2000, 2)).toEqual(all.slice(2000, 2002));
    expect(reader.append('att-1', varied(4001)).seq).toBe(4001);
    reader.read('att-1', 4001, 1); // written before anything reads it back
    expect(
      createFileEventSpool(dir)
        .read('att-1', 3998, 10)
        .map((e) => e.data.n),
    ).toEqual([3999, 4000, 4001]);
  });

  it('reads a file while it is appended to: each page ends at the newest event and the next starts after it', () => {
    writeSpool(2000);
    const spool = createFileEventSpool(dir);
    const seen = seqs(spool.read('att-1', 1700, 500));
    for (let n = 2001; n <= 2600; n++) {
      spool.append('att-1', varied(n));
      if (n % 150 === 0) seen.push(...seqs(spool.read('att-1', seen.at(-1)!, 500)));
    }
    seen.push(...seqs(spool.read('att-1', seen.at(-1)!, 500)));
    expect(seen).toEqual(range(1701, 2600));
    expect(spool.read('att-1', 1000, 1)).toEqual(lines(fileOf('att-1')).slice(1000, 1001));
  });

  it('reports a whole last line without a seq as store.failed and keeps it (it is not a torn write)', () => {
    writeSpool(3);
    appendFileSync(fileOf('att-1'), '{"at":"2030-01-01T00:00:00.000Z","type":"job.log"}\n');
    const size = statSync(fileOf('att-1')).size;
    expect(() => createFileEventSpool(dir).lastSeq('att-1')).toThrow(
      expect.objectContaining({ code: 'store.failed', message: expect.stringMatching(/has no seq/) }),
    );
    expect(statSync(fileOf('att-1')).size).toBe(size);
  });

  it('reports a file whose lines are not numbered by their place (changed by hand) as store.failed', () => {
    writeSpool(3);
    const text = readFileSync(fileOf('att-1'), 'utf8').replace('"seq":2,', '"seq":7,');
    writeFileSync(fileOf('att-1'), text);
    expect(() => createFileEventSpool(dir).read('att-1', 0, 3)).toThrow(
      expect.objectContaining({ code: 'store.failed', message: expect.stringMatching(/line 2 holds seq 7/) }),
    );
  });
});
