import { getEventListeners } from 'node:events';
import { runnerHintSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { claimNow, register, startServer, submit, waitFor } from './helpers.js';

/** Reads server-sent events off a fetch response body, as plain text blocks. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const events: Array<{ event: string; data: string }> = [];
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) events.push({ event, data });
      }
    }
  })();
  return { events, cancel: () => reader.cancel().catch(() => undefined) };
}

describe('push hints', () => {
  it('tell the runner holding an attempt at once when a cancel, a stop or an answer waits for it', async () => {
    const { server, api } = await startServer();
    const mine = await register(api, { machineId: 'machine-hints-1' });
    const other = await register(api, { machineId: 'machine-hints-2' });
    const jobId = await submit(api);
    const { attempt } = await claimNow(api, mine);

    const open = (runnerId: string) =>
      fetch(`${server.url}/v1/runners/${runnerId}/hints`, {
        headers: { authorization: `Bearer ${server.token}`, accept: 'text/event-stream' },
      });
    const [ownResponse, otherResponse] = await Promise.all([open(mine), open(other)]);
    expect(ownResponse.headers.get('content-type')).toContain('text/event-stream');
    const own = sseReader(ownResponse.body!);
    const others = sseReader(otherResponse.body!);

    const interaction = await api(
      'PUT',
      `/v1/attempts/${attempt.id}/interactions/int-1`,
      { kind: 'question', questions: [{ id: 'q', text: 'Which?', options: [] }] },
      { runnerId: mine },
    );
    expect(interaction.status).toBe(200);
    await api('POST', '/v1/interactions/int-1/answer', {
      answer: { kind: 'question', answers: { q: ['A'] } },
      by: 'web',
    });
    await api('POST', `/v1/jobs/${jobId}/cancel`, {});

    await waitFor(() => own.events.length >= 2, 'two hints');
    const hints = own.events;
    for (const hint of hints) {
      expect(hint.event).toBe('hint');
      expect(runnerHintSchema.parse(JSON.parse(hint.data))).toEqual({
        type: 'attempt.control',
        attemptId: attempt.id,
      });
    }
    // Another runner of the same account hears nothing about an attempt it does not hold.
    expect(others.events).toEqual([]);
    await own.cancel();
    await others.cancel();
  });

  it('a stream the runner closed stops listening for the server to close', async () => {
    const { server, api } = await startServer();
    const runnerId = await register(api, { machineId: 'machine-hints-3' });
    const listeners = () => getEventListeners(server.store.closing, 'abort').length;
    const before = listeners();
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${server.url}/v1/runners/${runnerId}/hints`, {
        headers: { authorization: `Bearer ${server.token}`, accept: 'text/event-stream' },
      });
      await waitFor(() => listeners() === before + 1, 'the stream to listen');
      await response.body!.cancel();
      await waitFor(() => listeners() === before, 'the closed stream to stop listening');
    }
  });

  it('refuses an unknown token', async () => {
    const { api } = await startServer();
    const runner = await register(api, { machineId: 'machine-hints-3' });
    const res = await api('GET', `/v1/runners/${runner}/hints`, undefined, { token: 'not-a-token-at-all' });
    expect(res.status).toBe(401);
  });
});
