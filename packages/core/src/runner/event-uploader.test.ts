import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptEvent } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../client/api-error.js';
import { eventBatchBody, type CoordClient, type EventLines } from '../client/coord-client.js';
import { CoordError, isCoordError } from '../errors.js';
import { createFileEventSpool, createMemoryEventSpool, type EventSpool } from '../store/event-spool.js';
import {
  batchBytesFor,
  createEventUploader,
  DEFAULT_MAX_BATCH_BYTES,
  type EventUploaderOptions,
} from './event-uploader.js';
import { parseEventLines } from '../../test/event-lines.js';
import { ManualClock, until } from '../../test/manual-clock.js';

type Behaviour =
  'store' | 'fail' | 'store-then-fail' | 'lease-lost' | 'not-found' | { storeOnly: number } | 'hold';

const refusal = (status: number, serverCode: string) =>
  new ApiError(
    { code: 'api.http_error', status, method: 'POST', path: '/v1/attempts/att-1/events', serverCode },
    `refused with ${status}`,
    { retryable: false },
  );

/**
 * The server's side of event uploads: it keeps what it receives by seq, ignores duplicates and
 * answers with the highest contiguous seq it holds.
 */
class FakeEventServer {
  readonly held = new Map<number, AttemptEvent>();
  readonly batches: number[][] = [];
  /** How each next call behaves; `store` once the script runs out. */
  script: Behaviour[] = [];
  /** Like a server's body limit: a larger request is refused with 413 before anything else. */
  maxBodyBytes = Number.POSITIVE_INFINITY;
  /** Seqs refused with 413 however they are sent (an event the server can never take). */
  refuseSeqs = new Set<number>();
  private holds: Array<() => void> = [];

  ack(): number {
    let n = 0;
    while (this.held.has(n + 1)) n++;
    return n;
  }

  releaseHeld(): void {
    const holds = this.holds;
    this.holds = [];
    for (const release of holds) release();
  }

  get heldCalls(): number {
    return this.holds.length;
  }

  forget(fromSeq: number): void {
    for (const seq of [...this.held.keys()]) if (seq >= fromSeq) this.held.delete(seq);
  }

  readonly client = {
    uploadEvents: async (_runnerId: string, _attemptId: string, lines: EventLines): Promise<number> => {
      const events = parseEventLines(lines);
      this.batches.push(events.map((e) => e.seq));
      if (this.batches.length > 200) throw new Error('the uploader is looping');
      if (eventBatchBody(lines).length > this.maxBodyBytes) throw refusal(413, 'request.invalid');
      if (events.some((e) => this.refuseSeqs.has(e.seq) && e.type !== 'job.log'))
        throw refusal(413, 'request.invalid');
      const behaviour = this.script.shift() ?? 'store';
      const store = (list: AttemptEvent[]) => {
        for (const e of list) if (!this.held.has(e.seq)) this.held.set(e.seq, structuredClone(e));
      };
      if (behaviour === 'hold') await new Promise<void>((resolve) => this.holds.push(resolve));
      if (behaviour === 'fail') throw networkError();
      if (behaviour === 'not-found') throw refusal(404, 'attempt.not_found');
      if (behaviour === 'lease-lost') {
        throw new ApiError(
          {
            code: 'lease.lost',
            status: 409,
            method: 'POST',
            path: '/v1/attempts/att-1/events',
            serverCode: 'lease.lost',
          },
          'lease lost',
          { retryable: false },
        );
      }
      if (typeof behaviour === 'object') {
        store(events.slice(0, behaviour.storeOnly));
        return this.ack();
      }
      store(events);
      if (behaviour === 'store-then-fail') throw networkError();
      return this.ack();
    },
  } as unknown as CoordClient;
}

const networkError = () =>
  new ApiError(
    { code: 'api.network', status: 0, method: 'POST', path: '/v1/attempts/att-1/events' },
    'reset',
    {
      retryable: true,
    },
  );

function setup(overrides: Partial<EventUploaderOptions> & { spool?: EventSpool } = {}) {
  const server = new FakeEventServer();
  const clock = new ManualClock();
  const spool = overrides.spool ?? createMemoryEventSpool();
  const errors: unknown[] = [];
  let leaseLost = 0;
  const lostWith: unknown[] = [];
  const uploader = createEventUploader({
    client: server.client,
    spool,
    runnerId: 'run-1',
    attemptId: 'att-1',
    clock,
    intervalMs: 100,
    maxBatch: 3,
    onError: (error) => errors.push(error),
    onLeaseLost: (error) => {
      leaseLost++;
      lostWith.push(error);
    },
    ...overrides,
  });
  const write = (count: number, data: Record<string, unknown> = {}) => {
    for (let i = 0; i < count; i++) {
      spool.append('att-1', { at: '2030-01-01T00:00:00.000Z', type: 'job.agent', data: { i, ...data } });
      uploader.notify();
    }
  };
  return { server, clock, spool, uploader, errors, write, leaseLost: () => leaseLost, lostWith };
}

/** Every event the uploader was given reached the server exactly once, with its own data. */
function expectAllHeld(server: FakeEventServer, spool: EventSpool, count: number) {
  expect(server.ack()).toBe(count);
  expect([...server.held.keys()].sort((a, b) => a - b)).toEqual(
    Array.from({ length: count }, (_, i) => i + 1),
  );
  for (const [seq, event] of server.held) expect(event.seq).toBe(seq);
  expect(spool.lastSeq('att-1')).toBe(count);
}

describe('createEventUploader', () => {
  it('waits intervalMs before sending a small batch', async () => {
    const { server, clock, uploader, write } = setup();
    write(2);
    await until(() => true);
    expect(server.batches).toEqual([]);
    clock.advance(99);
    expect(server.batches).toEqual([]);
    clock.advance(1);
    await until(() => uploader.acked === 2, 'ack 2');
    expect(server.batches).toEqual([[1, 2]]);
  });

  it('sends at once in batches of at most maxBatch', async () => {
    const { server, spool, uploader, write } = setup();
    write(7);
    await until(() => uploader.acked === 7, 'everything acked');
    expect(server.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expectAllHeld(server, spool, 7);
  });

  it('retries a failed upload after a backoff and resumes from the ack, losing and duplicating nothing', async () => {
    const { server, clock, spool, uploader, errors, write } = setup();
    server.script = ['store', 'fail', 'fail'];
    write(5);
    await until(() => errors.length === 1, 'the first failure');
    expect(uploader.acked).toBe(3);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(60_000);
    await until(() => errors.length === 2, 'the second failure');
    clock.advance(60_000);
    await until(() => uploader.acked === 5, 'everything acked');
    expect(server.batches).toEqual([
      [1, 2, 3],
      [4, 5],
      [4, 5],
      [4, 5],
    ]);
    expect(errors.every((e) => isCoordError(e) && e.code === 'api.network')).toBe(true);
    expectAllHeld(server, spool, 5);
  });

  it('resends after a response lost on the way back, and the server keeps one copy', async () => {
    const { server, clock, spool, uploader, errors, write } = setup();
    server.script = ['store-then-fail'];
    write(3);
    await until(() => errors.length === 1, 'the lost response');
    clock.advance(60_000);
    await until(() => uploader.acked === 3, 'everything acked');
    expect(server.batches).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expectAllHeld(server, spool, 3);
  });

  it('resends from the ack when the server holds fewer events than were sent', async () => {
    const { server, spool, uploader, write } = setup({ maxBatch: 5 });
    server.script = [{ storeOnly: 2 }];
    write(5);
    await until(() => uploader.acked === 5, 'everything acked');
    expect(server.batches).toEqual([
      [1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    expectAllHeld(server, spool, 5);
  });

  it('drain() resolves only once everything is acked', async () => {
    const { server, spool, uploader, write } = setup();
    server.script = ['hold'];
    write(2);
    let drained = false;
    const drain = uploader.drain().then(() => (drained = true));
    await until(() => server.heldCalls === 1, 'the upload to arrive');
    write(1);
    await until(() => true);
    expect(drained).toBe(false);
    server.releaseHeld();
    await drain;
    expect(drained).toBe(true);
    expect(server.batches).toEqual([[1, 2], [3]]);
    expectAllHeld(server, spool, 3);
    await expect(uploader.drain()).resolves.toBeUndefined();
  });

  it('drain() keeps waiting through failures and resolves after the retry succeeds', async () => {
    const { server, clock, spool, uploader, errors, write } = setup();
    server.script = ['fail'];
    write(1);
    let drained = false;
    const drain = uploader.drain().then(() => (drained = true));
    await until(() => errors.length === 1, 'the failure');
    expect(drained).toBe(false);
    clock.advance(60_000);
    await drain;
    expectAllHeld(server, spool, 1);
  });

  it('stops on lease.lost: tells the runner, rejects drain with lease.lost and sends nothing more', async () => {
    const { server, clock, uploader, write, leaseLost } = setup();
    server.script = ['lease-lost'];
    write(2);
    const drain = uploader.drain();
    await expect(drain).rejects.toMatchObject({ code: 'lease.lost' });
    expect(leaseLost()).toBe(1);
    write(5);
    clock.advance(60_000);
    await until(() => true);
    expect(server.batches).toEqual([[1, 2]]);
    const later = await uploader.drain().catch((e: unknown) => e);
    expect(isCoordError(later) && later.code).toBe('lease.lost');
  });

  it('keeps uploading after an interval timer fires with nothing left to send', async () => {
    const { server, clock, spool, uploader, write } = setup();
    // One event arms the interval timer; two more fill a batch, which is sent at once.
    write(3);
    await until(() => uploader.acked === 3, 'the full batch');
    // The stale timer fires with nothing pending.
    clock.advance(100);
    await until(() => true);
    write(1);
    clock.advance(100);
    await until(() => uploader.acked === 4 || server.batches.length > 1, 'the next upload');
    expect(server.batches).toEqual([[1, 2, 3], [4]]);
    expectAllHeld(server, spool, 4);
    await expect(uploader.drain()).resolves.toBeUndefined();
  });

  it('resends from a lower ack even when it had already released those events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-uploader-'));
    try {
      const { server, clock, uploader, write, errors } = setup({ spool: createFileEventSpool(dir) });
      write(3);
      await until(() => uploader.acked === 3, 'the first batch');
      // The server loses what it had (restored from a backup) before the next batch.
      server.forget(2);
      write(3);
      await until(() => uploader.acked === 6, 'everything acked again');
      clock.advance(60_000);
      expect(server.ack()).toBe(6);
      expect(server.batches).toEqual([
        [1, 2, 3],
        [4, 5, 6],
        [2, 3, 4],
      ]);
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('backs off instead of spinning when its spool no longer holds what the server asks for', async () => {
    // A spool that frees what was acknowledged, as a memory-bounded one might.
    const inner = createMemoryEventSpool();
    let freed = 0;
    const forgetful: EventSpool = {
      ...inner,
      readLines: (id, after, limit) => inner.readLines(id, Math.max(after, freed), limit),
      release: (_id, acked) => void (freed = Math.max(freed, acked)),
    };
    const { server, clock, uploader, write, errors } = setup({ spool: forgetful });
    write(3);
    await until(() => uploader.acked === 3, 'the first batch');
    server.forget(2);
    write(3);
    await until(() => errors.length === 1, 'the failure');
    expect(isCoordError(errors[0]) && errors[0].code).toBe('store.failed');
    const sent = server.batches.length;
    expect(sent).toBeLessThan(5);
    expect(clock.pendingTimers).toBe(1);
    let drained = false;
    void uploader.drain().then(() => (drained = true));
    await until(() => true);
    expect(drained).toBe(false);
  });

  it('stop() cancels a scheduled send', async () => {
    const { server, clock, uploader, write } = setup();
    write(1);
    uploader.stop();
    clock.advance(60_000);
    await until(() => true);
    expect(server.batches).toEqual([]);
  });

  it('does not treat other CoordErrors as a lost lease', async () => {
    const { clock, uploader, write, errors, leaseLost } = setup({
      client: {
        uploadEvents: () => Promise.reject(new CoordError('auth.invalid_token', 'nope')),
      } as unknown as CoordClient,
    });
    write(1);
    clock.advance(100);
    await until(() => errors.length === 1, 'the failure');
    expect(leaseLost()).toBe(0);
    expect(uploader.acked).toBe(0);
  });

  it('caps each batch in bytes, so output that fills many events never makes one request too large', async () => {
    const { server, spool, uploader, write, errors } = setup({ maxBatch: 500, maxBatchBytes: 10_000 });
    // Like one huge output line: many events of a few KB each, far over the cap together.
    write(40, { chunk: 'x'.repeat(2_000) });
    await uploader.drain();
    for (const batch of server.batches) expect(batch.length).toBeLessThanOrEqual(5);
    expect(errors).toEqual([]);
    expectAllHeld(server, spool, 40);
  });

  it('halves a batch the server refuses as too large instead of resending it, and loses nothing', async () => {
    const { server, spool, uploader, write } = setup({ maxBatch: 500, maxBatchBytes: 1_000_000 });
    server.maxBodyBytes = 9_000;
    write(16, { chunk: 'x'.repeat(1_000) });
    await uploader.drain();
    expectAllHeld(server, spool, 16);
    // No request was sent twice as it was refused.
    const refused = server.batches.filter((b) => b.length > 8);
    expect(new Set(refused.map((b) => b.join()))).toHaveProperty('size', refused.length);
    expect(server.batches.length).toBeLessThan(12);
  });

  it('replaces an event the server refuses even alone by a note saying so, and goes on', async () => {
    const { server, spool, uploader, write, errors, leaseLost } = setup({ maxBatch: 4 });
    server.refuseSeqs.add(3);
    write(6);
    await uploader.drain();
    expect(server.ack()).toBe(6);
    const note = server.held.get(3)!;
    expect(note.type).toBe('job.log');
    expect(String(note.data['message'])).toMatch(/refused event 3 \(job\.agent.*cut it/);
    expect(server.held.get(4)!.data).toEqual({ i: 3 });
    expect(spool.lastSeq('att-1')).toBe(6);
    expect(leaseLost()).toBe(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(server.batches.length).toBeLessThanOrEqual(8);
  });

  it('gives the attempt up when even the note is refused, instead of retrying forever', async () => {
    const { server, clock, uploader, write, leaseLost, lostWith } = setup({
      client: {
        uploadEvents: (_r: string, _a: string, lines: EventLines) => {
          server.batches.push(parseEventLines(lines).map((e) => e.seq));
          return Promise.reject(refusal(400, 'request.invalid'));
        },
      } as unknown as CoordClient,
    });
    write(2);
    await expect(uploader.drain()).rejects.toMatchObject({ code: 'attempt.refused' });
    expect(leaseLost()).toBe(1);
    expect(lostWith[0]).toMatchObject({ code: 'attempt.refused' });
    clock.advance(600_000);
    await until(() => true);
    // [1,2] halved to [1], then [1]'s note: three requests and no more.
    expect(server.batches).toEqual([[1, 2], [1], [1]]);
  });

  it('ends the attempt on 404 (the server no longer knows it), as on a lost lease', async () => {
    const { server, clock, uploader, write, leaseLost } = setup();
    server.script = ['not-found'];
    write(2);
    await expect(uploader.drain()).rejects.toMatchObject({ status: 404 });
    expect(leaseLost()).toBe(1);
    clock.advance(600_000);
    await until(() => true);
    expect(server.batches).toEqual([[1, 2]]);
  });

  it('stop() aborts the upload in flight and reports nothing about it', async () => {
    let signal: AbortSignal | undefined;
    const { uploader, write, errors } = setup({
      client: {
        uploadEvents: (_r: string, _a: string, _e: EventLines, s?: AbortSignal) => {
          signal = s;
          return new Promise((_resolve, reject) =>
            s?.addEventListener('abort', () => reject(networkError())),
          );
        },
      } as unknown as CoordClient,
    });
    write(3);
    await until(() => signal !== undefined, 'the upload to start');
    uploader.stop();
    expect(signal!.aborted).toBe(true);
    await until(() => true);
    expect(errors).toEqual([]);
  });
});

describe('batchBytesFor', () => {
  it('stays below what the server says it takes, and uses the default otherwise', () => {
    expect(batchBytesFor(undefined, undefined)).toBe(DEFAULT_MAX_BATCH_BYTES);
    expect(batchBytesFor(4_000_000, undefined)).toBe(4_000_000);
    expect(batchBytesFor(undefined, { maxRequestBytes: 1_000_000 })).toBeLessThan(1_000_000);
    expect(batchBytesFor(100_000, { maxRequestBytes: 16 * 1024 * 1024 })).toBe(100_000);
  });
});

describe('rest(): the last events, for the completion to carry', () => {
  it('hands over what waits when it fits one batch, and does not send it itself', async () => {
    const { server, clock, uploader, write } = setup();
    write(2);
    const tail = await uploader.rest();
    expect(tail?.lastSeq).toBe(2);
    expect(parseEventLines(tail!.lines).map((e) => e.seq)).toEqual([1, 2]);
    clock.advance(1_000);
    await until(() => true);
    expect(server.batches).toEqual([]);
    // The completion carried them: the uploader owes nothing more.
    uploader.acknowledge(2);
    expect(uploader.acked).toBe(2);
    await expect(uploader.drain()).resolves.toBeUndefined();
    expect(server.batches).toEqual([]);
  });

  it('uploads instead when what waits is more than one batch, and resolves once the server holds all', async () => {
    const { server, spool, uploader, write } = setup({ maxBatchBytes: 300 });
    write(2, { text: 'x'.repeat(200) }); // one event per batch at this byte cap
    await expect(uploader.rest()).resolves.toBeNull();
    expect(server.batches).toEqual([[1], [2]]);
    expectAllHeld(server, spool, 2);
  });

  it('waits for an upload in flight rather than hand over events it may be sending', async () => {
    const { server, clock, spool, uploader, write } = setup();
    server.script = ['hold'];
    write(2);
    clock.advance(100);
    await until(() => server.heldCalls === 1, 'the upload to arrive');
    write(1);
    let settled = false;
    const rest = uploader.rest().then((tail) => ((settled = true), tail));
    await until(() => true);
    expect(settled).toBe(false);
    server.releaseHeld();
    await expect(rest).resolves.toBeNull();
    expect(server.batches).toEqual([[1, 2], [3]]);
    expectAllHeld(server, spool, 3);
  });

  it('has nothing to hand over when the server holds everything', async () => {
    const { clock, uploader, write } = setup();
    write(1);
    clock.advance(100);
    await uploader.drain();
    await expect(uploader.rest()).resolves.toBeNull();
  });

  it('rejects once the lease is lost', async () => {
    const { server, clock, uploader, write } = setup();
    server.script = ['lease-lost'];
    write(1);
    clock.advance(100);
    await until(() => server.batches.length === 1, 'the refused upload');
    write(1);
    await expect(uploader.rest()).rejects.toMatchObject({ code: 'lease.lost' });
  });
});
