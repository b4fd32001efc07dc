import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../src/client/api-error.js';
import { createCoordClient, type CoordClientOptions } from '../src/client/coord-client.js';
import { isCoordError, toErrorPayload } from '../src/errors.js';
import {
  errorReply,
  hang,
  json,
  reset,
  startScriptedServer,
  torn,
  type ScriptedServer,
  type Step,
} from './scripted-server.js';

const me = { account: { id: 'acc-1', name: 'Ada' }, workspaces: [{ id: 'ws-1', name: 'Main' }] };
const renewed = { leaseExpiresAt: '2030-01-01T00:00:00.000Z', controls: [] };
const interaction = {
  id: 'int-1',
  attemptId: 'att-1',
  jobId: 'job-1',
  request: { kind: 'approval', toolName: 'Bash', summary: 'rm -rf build', input: {} },
  createdAt: '2030-01-01T00:00:00.000Z',
  answer: { kind: 'approval', decision: 'allow_once' },
  answeredBy: 'runner',
  answeredAt: '2030-01-01T00:00:01.000Z',
};

let servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function setup(steps: Step[], options: Partial<CoordClientOptions> = {}) {
  const server = await startScriptedServer(steps);
  servers.push(server);
  const token = `tok-${randomUUID()}`;
  const client = createCoordClient({
    baseUrl: `${server.baseUrl}/`,
    token,
    retries: 3,
    minRetryDelayMs: 1,
    maxRetryDelayMs: 5,
    ...options,
  });
  return { server, client, token };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('createCoordClient: headers', () => {
  it('sends the bearer token and the protocol version on every call', async () => {
    const { server, client, token } = await setup([json(200, me)]);
    await expect(client.me()).resolves.toEqual(me);
    const [req] = server.requests;
    expect(req?.method).toBe('GET');
    expect(req?.url).toBe('/v1/me');
    expect(req?.headers.authorization).toBe(`Bearer ${token}`);
    expect(req?.headers['coord-protocol']).toBe('1');
    expect(req?.headers['coord-runner-id']).toBeUndefined();
  });

  it('sends Coord-Runner-Id and the JSON body on attempt calls', async () => {
    const { server, client } = await setup([json(200, renewed)]);
    await expect(client.renewLease('run-7', 'att-1', { state: 'running' })).resolves.toEqual(renewed);
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/attempts/att-1/lease');
    expect(req?.headers['coord-runner-id']).toBe('run-7');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({ state: 'running' });
  });

  it('uploads events and returns the ack', async () => {
    const { server, client } = await setup([json(200, { ack: 2 })]);
    const events = [
      { seq: 1, at: '2030-01-01T00:00:00.000Z', type: 'job.state', data: { state: 'running' } },
      { seq: 2, at: '2030-01-01T00:00:01.000Z', type: 'job.log', data: { message: 'hi' } },
    ];
    // Sent as spooled: NDJSON lines, their newlines kept as JSON whitespace.
    const lines = events.map((event) => Buffer.from(`${JSON.stringify(event)}\n`));
    await expect(client.uploadEvents('run-1', 'att-1', lines)).resolves.toBe(2);
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    expect(server.requests[0]?.headers['coord-runner-id']).toBe('run-1');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ events });
  });
});

describe('createCoordClient: response validation', () => {
  it('rejects a malformed success body with api.invalid_response and does not retry it', async () => {
    const { server, client } = await setup([json(200, { account: { id: 'acc-1' }, workspaces: 'none' })]);
    const error = await rejection(client.me());
    expect(error.code).toBe('api.invalid_response');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('account.name');
    expect(error.message).toContain('workspaces');
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a success body that is not JSON with api.invalid_response', async () => {
    const { server, client } = await setup([
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>proxy login</html>');
      },
    ]);
    const error = await rejection(client.me());
    expect(error.code).toBe('api.invalid_response');
    expect(server.requests).toHaveLength(1);
  });
});

describe('createCoordClient: retries', () => {
  it('retries a reset connection and then succeeds', async () => {
    const { server, client } = await setup([reset, reset, json(200, me)]);
    await expect(client.me()).resolves.toEqual(me);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a connection dropped in the middle of a 200 body and then succeeds', async () => {
    const { server, client } = await setup([torn, json(200, me)]);
    await expect(client.me()).resolves.toEqual(me);
    expect(server.requests).toHaveLength(2);
  });

  it('retries 5xx with backoff and then succeeds', async () => {
    const { server, client } = await setup([
      errorReply(503, { code: 'server.internal', message: 'busy' }),
      errorReply(500, { code: 'server.internal', message: 'boom' }),
      json(200, me),
    ]);
    await expect(client.me()).resolves.toEqual(me);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after `retries` retries with the last error', async () => {
    const { server, client } = await setup(
      [errorReply(502, { code: 'server.internal', message: 'bad gateway' })],
      {
        retries: 2,
      },
    );
    const error = await rejection(client.me());
    expect(error.status).toBe(502);
    expect(error.code).toBe('api.http_error');
    expect(error.retryable).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up on a server that keeps resetting, with api.network', async () => {
    const { server, client } = await setup([reset], { retries: 1 });
    const error = await rejection(client.me());
    expect(error.code).toBe('api.network');
    expect(error.status).toBe(0);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('/v1/me');
    expect(server.requests).toHaveLength(2);
  });

  it('speaks TLS to an https server (its first bytes are a TLS handshake)', async () => {
    const received: Buffer[] = [];
    const tcp = createServer((socket) =>
      socket.once('data', (data) => {
        received.push(data);
        socket.destroy();
      }),
    );
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const { port } = tcp.address() as AddressInfo;
    try {
      const client = createCoordClient({
        baseUrl: `https://127.0.0.1:${port}`,
        token: 'tok-tls',
        retries: 0,
      });
      const error = await rejection(client.me());
      expect(error.code).toBe('api.network');
      // A TLS record of type handshake (22), version 3.x: a ClientHello, never a plain GET.
      expect([received[0]?.[0], received[0]?.[1]]).toEqual([0x16, 0x03]);
      expect(Buffer.concat(received).toString('latin1')).not.toContain('tok-tls');
    } finally {
      await new Promise((resolve) => tcp.close(resolve));
    }
  });

  it('says why a server cannot be reached: the refused address', async () => {
    const { server } = await setup([]);
    const url = server.baseUrl;
    await server.close();
    servers = servers.filter((s) => s !== server);
    const client = createCoordClient({ baseUrl: url, token: 'tok-refused', retries: 0 });
    const error = await rejection(client.me());
    expect(error.code).toBe('api.network');
    expect(error.message).toMatch(
      /^Cannot reach the Coord server at http:\/\/127\.0\.0\.1:\d+ \(GET \/v1\/me\): .*ECONNREFUSED/,
    );
  });

  it.each([400, 403, 404, 409, 422])('never retries a %i', async (status) => {
    const { server, client } = await setup([
      errorReply(status, { code: 'request.invalid', message: 'no' }),
      json(200, me),
    ]);
    const error = await rejection(client.me());
    expect(error.status).toBe(status);
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });
});

describe('createCoordClient: error mapping', () => {
  it('maps 409 lease.lost to the runner code lease.lost', async () => {
    const { server, client } = await setup([
      errorReply(409, { code: 'lease.lost', message: 'The lease belongs to another runner' }),
    ]);
    const error = await rejection(client.renewLease('run-1', 'att-1', { state: 'running' }));
    expect(isCoordError(error)).toBe(true);
    expect(error.code).toBe('lease.lost');
    expect(error.serverCode).toBe('lease.lost');
    expect(error.status).toBe(409);
    expect(server.requests).toHaveLength(1);
  });

  it('maps 401 to auth.invalid_token', async () => {
    const { client } = await setup([
      errorReply(401, { code: 'auth.invalid_token', message: 'Unknown token' }),
    ]);
    const error = await rejection(client.me());
    expect(error.code).toBe('auth.invalid_token');
    expect(error.retryable).toBe(false);
  });

  it('sends a new token once told (a new sign-in), and retries a 401 the token it replaced got', async () => {
    const { server, client, token } = await setup([
      // Answered only after the switch: the refusal is about the old token.
      (_req, res) =>
        void setTimeout(() => {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'auth.invalid_token', message: 'Unknown token' } }));
        }, 50),
      json(200, me),
    ]);
    const answered = client.me();
    await server.waitForRequests(1);
    expect(client.useToken(token)).toBe(false);
    const next = `tok-${randomUUID()}`;
    expect(client.useToken(next)).toBe(true);
    await expect(answered).resolves.toEqual(me);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${token}`,
      `Bearer ${next}`,
    ]);
  });

  it('maps a 401 without a JSON body to auth.invalid_token too', async () => {
    const { client } = await setup([
      (_req, res) => {
        res.writeHead(401);
        res.end('Unauthorized');
      },
    ]);
    expect((await rejection(client.me())).code).toBe('auth.invalid_token');
  });

  it('names the bad field of a 400', async () => {
    const { client } = await setup([
      errorReply(400, {
        code: 'request.invalid',
        message: 'Invalid request',
        issues: [{ path: 'capacity', message: 'Too big: expected number to be <=64' }],
      }),
    ]);
    const error = await rejection(
      client.register({
        machineId: 'machine-0001',
        name: 'box',
        platform: 'linux',
        arch: 'x64',
        version: '0.1.0',
        agents: [],
        capacity: 65,
      }),
    );
    expect(error.code).toBe('api.http_error');
    expect(error.serverCode).toBe('request.invalid');
    expect(error.message).toContain('capacity');
    expect(error.message).toContain('400');
  });

  it('maps an unsupported protocol version to api.unsupported_version', async () => {
    const { client } = await setup([
      errorReply(400, { code: 'protocol.unsupported_version', message: 'This server speaks protocol 2' }),
    ]);
    const error = await rejection(client.me());
    expect(error.code).toBe('api.unsupported_version');
    expect(error.message).toContain('protocol 2');
  });
});

describe('createCoordClient: the token never leaks', () => {
  function expectNoToken(error: unknown, token: string) {
    const payload = JSON.stringify(toErrorPayload(error));
    expect(payload).not.toContain(token);
    expect(String(error)).not.toContain(token);
    expect((error as Error).message).not.toContain(token);
    expect((error as Error).stack ?? '').not.toContain(token);
    // No prefix of it either (a truncated echo would still leak part of it).
    expect(payload).not.toContain(token.slice(0, 8));
    expect((error as Error).stack ?? '').not.toContain(token.slice(0, 8));
  }

  it('hides a token the server echoes in its JSON error body', async () => {
    let token = '';
    const { client, token: t } = await setup([
      (req, res) => {
        const auth = req.headers.authorization ?? '';
        token = auth.replace(/^Bearer /, '');
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              code: 'auth.forbidden',
              message: `token ${token} may not do this (${auth})`,
              issues: [{ path: 'token', message: `${token} is read-only` }],
            },
          }),
        );
      },
    ]);
    expect(token).toBe('');
    const error = await rejection(client.me());
    expect(token).toBe(t);
    expect(error.message).toContain('may not do this');
    expectNoToken(error, t);
  });

  it('hides a token the server echoes in the details of its error body', async () => {
    const { client, token } = await setup([
      (req, res) => {
        const echoed = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              code: 'interaction.conflict',
              message: 'conflict',
              details: { seenToken: echoed, nested: { list: [`Bearer ${echoed}`] } },
            },
          }),
        );
      },
    ]);
    const error = await rejection(client.getInteraction('att-1', 'int-1'));
    expectNoToken(error, token);
    expect(JSON.stringify(error.details)).not.toContain(token);
  });

  it('hides a token echoed in a long non-JSON error body, even where the body is cut short', async () => {
    for (const padding of [0, 150, 180, 192]) {
      const { client, token } = await setup(
        [
          (req, res) => {
            const echoed = (req.headers.authorization ?? '').replace(/^Bearer /, '');
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`${'x'.repeat(padding)}${echoed} rejected`);
          },
        ],
        { retries: 0 },
      );
      const error = await rejection(client.me());
      expectNoToken(error, token);
    }
  });

  it('hides the token in network errors', async () => {
    const { client, token } = await setup([reset], { retries: 0 });
    expectNoToken(await rejection(client.me()), token);
  });
});

describe('createCoordClient: interactions', () => {
  it('answerInteraction returns won:true when its answer is taken', async () => {
    const { server, client } = await setup([json(200, { interaction })]);
    await expect(
      client.answerInteraction('int-1', {
        answer: { kind: 'approval', decision: 'allow_once' },
        by: 'runner',
      }),
    ).resolves.toEqual({ won: true, answer: { kind: 'approval', decision: 'allow_once' }, by: 'runner' });
    expect(server.requests[0]?.url).toBe('/v1/interactions/int-1/answer');
  });

  it('answerInteraction returns the winning answer on 409 interaction.already_answered', async () => {
    const winner = { answer: { kind: 'approval', decision: 'deny', message: 'not today' }, by: 'web' };
    const { server, client } = await setup([
      errorReply(409, { code: 'interaction.already_answered', message: 'Already answered', details: winner }),
    ]);
    await expect(
      client.answerInteraction('int-1', {
        answer: { kind: 'approval', decision: 'allow_once' },
        by: 'runner',
      }),
    ).resolves.toEqual({ won: false, ...winner });
    expect(server.requests).toHaveLength(1);
  });

  it('answerInteraction rethrows a 409 whose details are not an answer', async () => {
    const { client } = await setup([
      errorReply(409, {
        code: 'interaction.already_answered',
        message: 'Already answered',
        details: { nope: 1 },
      }),
    ]);
    const error = await rejection(
      client.answerInteraction('int-1', { answer: { kind: 'timeout' }, by: 'runner' }),
    );
    expect(error.serverCode).toBe('interaction.already_answered');
  });
});

describe('createCoordClient: claim', () => {
  it('returns the raw assignment or null', async () => {
    const { server, client } = await setup([
      json(200, { assignment: null }),
      json(200, { assignment: { any: 1 } }),
    ]);
    await expect(client.claim('run-1', { waitMs: 10 }, undefined)).resolves.toBeNull();
    await expect(client.claim('run-1', { waitMs: 10 }, undefined)).resolves.toEqual({ any: 1 });
    expect(server.requests[0]?.url).toBe('/v1/runners/run-1/claim');
    expect(server.requests[0]?.headers['coord-runner-id']).toBe('run-1');
  });

  it('aborts a held long poll promptly when its signal fires', async () => {
    const { server, client } = await setup([hang]);
    const abort = new AbortController();
    const pending = client.claim('run-1', { waitMs: 25_000 }, abort.signal);
    const settled = pending.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await server.waitForRequests(1);
    const started = performance.now();
    abort.abort();
    const error = await settled;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('api.network');
    expect((error as ApiError).retryable).toBe(false);
    expect((error as ApiError).message).toContain('aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a failed long poll itself (the runner loop does)', async () => {
    const { server, client } = await setup([errorReply(503, { code: 'server.internal', message: 'down' })]);
    await rejection(client.claim('run-1', { waitMs: 10 }));
    expect(server.requests).toHaveLength(1);
  });
});
