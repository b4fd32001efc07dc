import { ControlClientError } from '@coord/runner-core/control-client';
import { describe, expect, it } from 'vitest';
import { createIpcRouter, trustedSender, type IpcHandlers } from './ipc-router.js';

const PAGE = 'file:///opt/Coord%20Runner/resources/app/dist/renderer/index.html';
const WINDOW = 7;

function router(overrides: Partial<IpcHandlers> = {}) {
  const relayed: unknown[] = [];
  const app: unknown[] = [];
  const refused: string[] = [];
  const handle = createIpcRouter({
    isTrusted: trustedSender(PAGE, () => [WINDOW]),
    handlers: {
      relay: async (call) => {
        relayed.push(call);
        return { relayed: call.method };
      },
      app: async (call, senderId) => {
        app.push({ call, senderId });
        return { app: call.method };
      },
      ...overrides,
    },
    onRefused: (why) => refused.push(why),
  });
  return { handle, relayed, app, refused };
}

const from = (url: string | null, id = WINDOW) => ({
  sender: { id },
  senderFrame: url === null ? null : { url },
});

describe('the main process IPC router', () => {
  it('relays a valid control call and answers app calls, with the defaults filled in', async () => {
    const r = router();
    expect(await r.handle(from(PAGE), { method: 'history', limit: 10 })).toEqual({
      ok: true,
      result: { relayed: 'history' },
    });
    expect(r.relayed).toEqual([{ method: 'history', limit: 10, filter: {}, cursor: null }]);
    expect(await r.handle(from(`${PAGE}#/logs`), { method: 'app.state' })).toEqual({
      ok: true,
      result: { app: 'app.state' },
    });
    expect(r.app).toEqual([{ call: { method: 'app.state' }, senderId: WINDOW }]);
  });

  const strangers: [string, ReturnType<typeof from>][] = [
    ['another window', from(PAGE, 8)],
    ['a frame navigated to a web page', from('https://evil.example/index.html')],
    ['another file on disk', from('file:///tmp/evil.html')],
    ['a frame that is gone', from(null)],
    ['a frame with no URL it can parse', from('not a url')],
    ['a data: page', from('data:text/html,<script>alert(1)</script>')],
  ];
  it.each(strangers)('refuses a call from %s, and does nothing', async (_name, event) => {
    const r = router();
    const reply = await r.handle(event, { method: 'stop', mode: 'force' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'desktop.untrusted_sender' } });
    expect(r.relayed).toEqual([]);
    expect(r.app).toEqual([]);
    expect(r.refused).toHaveLength(1);
  });

  const badPayloads: [string, unknown][] = [
    ['nothing', undefined],
    ['a string', 'status'],
    ['no method', { mode: 'drain' }],
    ['an unknown method', { method: 'runner.exec', command: 'rm -rf /' }],
    ['settings.get (not relayed to the window)', { method: 'settings.get', key: 'name' }],
    ['a wrong type', { method: 'history', limit: 'all' }],
    ['a stop mode that does not exist', { method: 'stop', mode: 'explode' }],
    ['an answer with no answer', { method: 'answer', interactionId: 'i-1' }],
    ['a server URL with credentials', { method: 'account.signIn', server: 'https://me:pw@coord.example' }],
    ['a server URL that is not http', { method: 'account.signIn', server: 'file:///etc/passwd' }],
    ['a link that is not http', { method: 'open.external', url: 'javascript:alert(1)' }],
    ['a log follow with a bad id', { method: 'log.follow', subscriptionId: '../x', job: 'job-1' }],
    ['an oversized job id', { method: 'log.follow', subscriptionId: 'abcdefgh-1', job: 'j'.repeat(201) }],
  ];
  it.each(badPayloads)('rejects %s, saying what is wrong, and calls nothing', async (_name, payload) => {
    const r = router();
    const reply = await r.handle(from(PAGE), payload);
    expect(reply).toMatchObject({ ok: false, error: { code: 'desktop.bad_request' } });
    if (!reply.ok) expect(reply.error.message.length).toBeGreaterThan(5);
    expect(r.relayed).toEqual([]);
    expect(r.app).toEqual([]);
  });

  it("keeps the runner's own refusal whole, and says what to do when no runner runs", async () => {
    const refused = router({
      relay: async () => {
        throw new ControlClientError(
          { kind: 'refused', error: { code: 'control.not_found', message: 'No job x', hint: 'List them.' } },
          '/state',
        );
      },
    });
    expect(await refused.handle(from(PAGE), { method: 'job.stop', job: 'x' })).toEqual({
      ok: false,
      error: { code: 'control.not_found', message: 'No job x', hint: 'List them.' },
    });
    const none = router({
      relay: async () => {
        throw new ControlClientError({ kind: 'no_runner' }, '/state');
      },
    });
    expect(await none.handle(from(PAGE), { method: 'status' })).toMatchObject({
      ok: false,
      error: { code: 'desktop.no_runner', hint: expect.stringContaining('Start it') },
    });
  });
});
