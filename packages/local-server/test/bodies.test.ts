import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { claimNow, register, startServer, submit } from './helpers.js';

const MiB = 1024 * 1024;

interface Streamed {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  sentBytes: number;
  ms: number;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
}

/**
 * Sends up to `totalBytes` as a chunked body (no Content-Length), with backpressure, and stops as
 * soon as the answer arrives: what a client (or an attacker) streaming a huge body does.
 */
function streamBody(
  url: string,
  path: string,
  opts: { method?: string; headers: Record<string, string>; totalBytes: number; fill?: number },
): Promise<Streamed> {
  const { hostname, port } = new URL(url);
  const chunk = Buffer.alloc(64 * 1024, opts.fill ?? 0x20); // spaces: valid JSON whitespace
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let closedNow: () => void = () => undefined;
    const closed = new Promise<void>((r) => (closedNow = r));
    let sentBytes = 0;
    let answered = false;
    const req = request(
      { hostname, port, path, method: opts.method ?? 'POST', headers: opts.headers },
      (res) => {
        answered = true;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            headers: res.headers,
            sentBytes,
            ms: Date.now() - started,
            closed,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('socket', (socket) => socket.once('close', () => closedNow()));
    req.on('error', (error) => {
      // The server closes the connection after its 413 while we are still writing.
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sentBytes < opts.totalBytes) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    req.write('{"title": "x", "pad": "');
    pump();
  });
}

const json = (server: { token: string }) => ({
  authorization: `Bearer ${server.token}`,
  'content-type': 'application/json',
});

describe('request bodies', () => {
  it('a 100 MB chunked body was accepted: it gets 413 at the limit, quickly, and the connection closes', async () => {
    const { server, api } = await startServer();
    const res = await streamBody(server.url, '/v1/workspaces/local/jobs', {
      headers: json(server),
      totalBytes: 100 * MiB,
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('request.too_large');
    expect(res.sentBytes).toBeLessThan(50 * MiB); // the server stopped reading near its 16 MiB limit
    expect(res.ms).toBeLessThan(5_000);
    await res.closed; // the server closes the connection instead of reading the other 84 MB
    expect((await api('GET', '/v1/jobs')).body.jobs).toEqual([]); // and the server is fine
  });

  it('parallel 200 MB chunked bodies took the server to gigabytes: memory stays bounded', async () => {
    const { server } = await startServer();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    let statuses: number[];
    try {
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          streamBody(server.url, '/v1/workspaces/local/jobs', {
            headers: json(server),
            totalBytes: 200 * MiB,
          }),
        ),
      );
      statuses = results.map((r) => r.status);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect((peak - before) / MiB).toBeLessThan(200);
    expect(statuses).toEqual([413, 413, 413]);
  }, 30_000);

  it('optional bodies, forge JSON routes and artifact uploads had no limit for chunked bodies', async () => {
    const { server, api } = await startServer();
    const jobId = await submit(api);
    const cancel = await streamBody(server.url, `/v1/jobs/${jobId}/cancel`, {
      headers: json(server),
      totalBytes: 4 * MiB,
    });
    expect(cancel.status).toBe(413);
    expect(JSON.parse(cancel.body).error.code).toBe('request.too_large');
    expect((await api('GET', `/v1/jobs/${jobId}`)).body.job.status).toBe('ready'); // nothing happened

    const forge = await streamBody(server.url, '/forge/api/user/repos', {
      headers: json(server),
      totalBytes: 8 * MiB,
    });
    expect(forge.status).toBe(413);
    expect(JSON.parse(forge.body).message).toMatch(/larger than/);

    const runner = await register(api);
    const { attempt } = await claimNow(api, runner);
    const upload = await streamBody(server.url, `/v1/attempts/${attempt.id}/artifacts/big.bin`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${server.token}`,
        'coord-runner-id': runner,
        'content-type': 'application/octet-stream',
      },
      totalBytes: 80 * MiB,
    });
    expect(upload.status).toBe(413);
    expect(JSON.parse(upload.body).error.code).toBe('artifact.too_large');
    expect((await api('GET', `/v1/attempts/${attempt.id}/artifacts`)).body.artifacts).toEqual([]);
  }, 20_000);

  it('deeply nested JSON answered 500: it is a 400 naming the nesting', async () => {
    const { api } = await startServer();
    const runner = await register(api);
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const batch = `{"events":[{"seq":1,"at":"${new Date().toISOString()}","type":"x","data":{"d":${deep}}}]}`;
    const res = await api('POST', `/v1/attempts/${attempt.id}/events`, batch, { runnerId: runner });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('request.invalid');
    expect(res.body.error.message).toMatch(/nested deeper than 64/);
    // 64 levels are fine, and brackets inside strings do not count.
    const ok = `{"events":[{"seq":1,"at":"${new Date().toISOString()}","type":"x","data":{"d":${'['.repeat(60)}"[[[[[[[[[[[["${']'.repeat(60)}}}]}`;
    const accepted = await api('POST', `/v1/attempts/${attempt.id}/events`, ok, { runnerId: runner });
    expect(accepted.status).toBe(200);
    expect((await api('POST', '/v1/workspaces/local/jobs', `{"title":${deep}}`)).status).toBe(400);
  });

  it('invalid UTF-8 in a JSON body was silently replaced: it is a 400', async () => {
    const { server, api } = await startServer();
    const bytes = Buffer.concat([
      Buffer.from('{"title":"bad '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(
        '","instructions":"x","context":{"type":"local"},"agent":{"id":"demo","plan":[{"type":"say","text":"hi"}]}}',
      ),
    ]);
    const res = await fetch(`${server.url}/v1/workspaces/local/jobs`, {
      method: 'POST',
      headers: json(server),
      body: bytes,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('request.invalid');
    expect(body.error.message).toMatch(/UTF-8/);
    expect((await api('GET', '/v1/jobs')).body.jobs).toEqual([]);
  });
});
