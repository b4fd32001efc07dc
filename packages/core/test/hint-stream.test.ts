import { afterEach, describe, expect, it } from 'vitest';
import { isCoordError, type CoordError } from '../src/errors.js';
import { createCoordClient } from '../src/client/coord-client.js';
import { errorReply, startScriptedServer, type ScriptedServer, type Step } from './scripted-server.js';

const servers: ScriptedServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(steps: Step[]): Promise<ScriptedServer> {
  const server = await startScriptedServer(steps);
  servers.push(server);
  return server;
}

/** An SSE answer written in pieces, split mid-event, with comments, junk and a foreign event. */
const hintStream: Step = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(': connected\n\n');
  res.write('event: hint\ndata: {"type":"attempt.con');
  setTimeout(() => {
    res.write('trol","attemptId":"att-1"}\n\n');
    res.write('event: hint\ndata: not json\n\n');
    res.write('event: other\ndata: {"type":"attempt.control","attemptId":"att-x"}\n\n');
    res.write('event: hint\r\ndata: {"type":"attempt.control","attemptId":"att-2"}\r\n\r\n');
    res.end();
  }, 10);
};

describe('createCoordClient: push hints', () => {
  it('yields the hints of a stream split across chunks and skips what is not a hint', async () => {
    const server = await serve([hintStream]);
    const client = createCoordClient({ baseUrl: server.baseUrl, token: 'tok-hints-123456' });
    const seen: string[] = [];
    const onOpen = () => seen.push('(open)');
    for await (const hint of client.hints('run-1', new AbortController().signal, onOpen))
      seen.push(hint.attemptId);
    expect(seen).toEqual(['(open)', 'att-1', 'att-2']);
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/v1/runners/run-1/hints' });
    expect(server.requests[0]!.headers['accept']).toBe('text/event-stream');
    expect(server.requests[0]!.headers['coord-runner-id']).toBe('run-1');
  });

  it('fails with a non-retryable error on a 404 (a server without hints), naming the status', async () => {
    const server = await serve([errorReply(404, { code: 'request.not_found', message: 'No such route' })]);
    const client = createCoordClient({ baseUrl: server.baseUrl, token: 'tok-hints-123456' });
    let error: CoordError | undefined;
    try {
      for await (const _hint of client.hints('run-1', new AbortController().signal)) void _hint;
    } catch (e) {
      if (isCoordError(e)) error = e;
    }
    expect(error).toMatchObject({ retryable: false });
    expect(error!.message).toContain('404');
  });

  it('ends quietly when its signal aborts', async () => {
    const server = await serve([
      (_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': hi\n\n'),
    ]);
    const client = createCoordClient({ baseUrl: server.baseUrl, token: 'tok-hints-123456' });
    const abort = new AbortController();
    const done = (async () => {
      for await (const _hint of client.hints('run-1', abort.signal)) void _hint;
    })();
    await server.waitForRequests(1);
    abort.abort();
    await expect(done).resolves.toBeUndefined();
  });
});
