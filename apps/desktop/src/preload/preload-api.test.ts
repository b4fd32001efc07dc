import { describe, expect, it } from 'vitest';
import { DesktopCallError, IPC } from '../shared/desktop-api.js';
import { createPreloadApi, type RendererTransport } from './preload-api.js';

function transport(answer: unknown) {
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
  const sent: unknown[] = [];
  const t: RendererTransport = {
    invoke: async (channel, payload) => {
      sent.push({ channel, payload });
      return answer;
    },
    on: (channel, l) =>
      void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(l),
    removeListener: (channel, l) => void listeners.get(channel)?.delete(l),
  };
  const emit = (payload: unknown) => listeners.get(IPC.push)?.forEach((l) => l({ sender: 'ipc' }, payload));
  return { t, sent, emit, listeners };
}

describe('the preload API', () => {
  it('invokes on the one channel and returns the checked answer', async () => {
    const x = transport({ ok: true, result: { subscriptionId: 'abc' } });
    const api = createPreloadApi(x.t);
    await expect(
      api.call({ method: 'log.follow', subscriptionId: 'abcdefgh', job: 'job-1', afterSeq: 0 }),
    ).resolves.toEqual({
      subscriptionId: 'abc',
    });
    expect(x.sent).toEqual([
      {
        channel: IPC.invoke,
        payload: { method: 'log.follow', subscriptionId: 'abcdefgh', job: 'job-1', afterSeq: 0 },
      },
    ]);
  });

  it('rejects with the code and hint main sent, and with a clear error for an answer it cannot read', async () => {
    const refused = createPreloadApi(
      transport({
        ok: false,
        error: { code: 'desktop.no_runner', message: 'The runner is not running.', hint: 'Start it' },
      }).t,
    );
    const error = await refused.call({ method: 'status' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DesktopCallError);
    expect((error as DesktopCallError).error).toEqual({
      code: 'desktop.no_runner',
      message: 'The runner is not running.',
      hint: 'Start it',
    });
    const garbled = createPreloadApi(transport({ ok: true, result: { version: 99 } }).t);
    await expect(garbled.call({ method: 'status' })).rejects.toThrow(/The answer to status is malformed/);
    const junk = createPreloadApi(transport('<html>').t);
    await expect(junk.call({ method: 'status' })).rejects.toThrow(/unreadable/);
  });

  it('hands the renderer checked pushes only, never the IPC event, and detaches when nobody listens', () => {
    const x = transport(null);
    const invalid: string[] = [];
    const api = createPreloadApi(x.t, (why) => invalid.push(why));
    const got: unknown[] = [];
    const off = api.onPush((push) => got.push(push));
    x.emit({ kind: 'navigate', jobId: 'job-1' });
    x.emit({ kind: 'navigate' });
    x.emit({ kind: 'exec', command: 'x' });
    expect(got).toEqual([{ kind: 'navigate', jobId: 'job-1' }]);
    expect(invalid).toHaveLength(2);
    off();
    expect(x.listeners.get(IPC.push)?.size).toBe(0);
  });
});
