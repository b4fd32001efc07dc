import { request } from 'node:http';
import {
  ARTIFACT_SHA256_HEADER,
  MAX_ARTIFACT_BYTES,
  artifactListSchema,
  artifactResponseSchema,
} from '@coord/runner-protocol';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimNow, register, startServer, submit } from './helpers.js';

/** Sends a request with the target exactly as given: fetch would resolve `..` segments first. */
function rawPut(url: string, target: string, headers: Record<string, string>, body: string) {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ hostname, port, path: target, method: 'PUT', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('artifacts', () => {
  it('round trip: upload, list, download, with sha256 recorded', async () => {
    const { server, api, dir } = await startServer();
    const runner = await register(api);
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const bytes = new Uint8Array([0, 1, 2, 255, 10, 13]);
    const put = await api('PUT', `/v1/attempts/${attempt.id}/artifacts/out/report%20final.bin`, undefined, {
      runnerId: runner,
      raw: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(200);
    const { artifact } = artifactResponseSchema.parse(put.body);
    expect(artifact).toMatchObject({
      path: 'out/report final.bin',
      size: 6,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    const list = artifactListSchema.parse((await api('GET', `/v1/attempts/${attempt.id}/artifacts`)).body);
    expect(list.artifacts.map((a) => a.path)).toEqual(['out/report final.bin']);
    // The token file holds the same token the server reports.
    expect(readFileSync(join(dir, 'token'), 'utf8').trim()).toBe(server.token);
    const res = await fetch(`${server.url}/v1/attempts/${attempt.id}/artifacts/out/report%20final.bin`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect((await api('GET', `/v1/attempts/${attempt.id}/artifacts/missing.txt`)).status).toBe(404);
  });

  it('refuses bytes that do not match the checksum sent with them, and serves the checksum with downloads', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const bytes = new TextEncoder().encode('the real report\n');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const put = (checksum: string) =>
      api('PUT', `/v1/attempts/${attempt.id}/artifacts/report.txt`, undefined, {
        runnerId: runner,
        raw: bytes,
        headers: { 'content-type': 'application/octet-stream', [ARTIFACT_SHA256_HEADER]: checksum },
      });
    const damaged = await put(createHash('sha256').update('something else').digest('hex'));
    expect(damaged.status).toBe(400);
    expect(damaged.body.error.code).toBe('artifact.checksum_mismatch');
    expect(damaged.body.error.message).toContain('damaged on the way and not stored');
    expect((await api('GET', `/v1/attempts/${attempt.id}/artifacts`)).body.artifacts).toEqual([]);
    expect((await put('NOT-HEX')).status).toBe(400);

    expect((await put(sha256)).status).toBe(200);
    const res = await fetch(`${server.url}/v1/attempts/${attempt.id}/artifacts/report.txt`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(res.headers.get(ARTIFACT_SHA256_HEADER)).toBe(sha256);
    expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''report.txt");
    const downloaded = new Uint8Array(await res.arrayBuffer());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(sha256);
  });

  it('rejects path traversal and stores nothing outside the attempt', async () => {
    const { server, api, dir } = await startServer();
    const runner = await register(api);
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const headers = { authorization: `Bearer ${server.token}`, 'coord-runner-id': runner };
    const base = `/v1/attempts/${attempt.id}/artifacts/`;
    for (const path of [
      '..%2F..%2Fescape.txt',
      '../../../escape.txt',
      'a/../../escape.txt',
      '%2e%2e/escape.txt',
      '%2Fetc%2Fescape.txt',
      'a%5C..%5Cescape.txt',
      'a//b',
    ]) {
      const res = await rawPut(server.url, base + path, headers, 'nope');
      expect([400, 404], `${path}: ${res.status} ${res.body}`).toContain(res.status);
    }
    expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
    expect(existsSync(join(dir, 'artifacts', 'escape.txt'))).toBe(false);
    expect((await api('GET', `/v1/attempts/${attempt.id}/artifacts`)).body.artifacts).toEqual([]);
  });

  it('only the holding runner may upload', async () => {
    const { api } = await startServer();
    const runner = await register(api);
    const other = await register(api, { machineId: 'machine-other' });
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const res = await api('PUT', `/v1/attempts/${attempt.id}/artifacts/x.txt`, undefined, {
      runnerId: other,
      raw: 'x',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('lease.lost');
  });
});

describe('artifact limits', () => {
  it('refuses an upload declared larger than MAX_ARTIFACT_BYTES with 413 artifact.too_large', async () => {
    const { server, api } = await startServer();
    const runner = await register(api);
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const { hostname, port } = new URL(server.url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          hostname,
          port,
          method: 'PUT',
          path: `/v1/attempts/${attempt.id}/artifacts/big.bin`,
          headers: {
            authorization: `Bearer ${server.token}`,
            'coord-runner-id': runner,
            'content-type': 'application/octet-stream',
            'content-length': String(MAX_ARTIFACT_BYTES + 1),
          },
        },
        (r) => {
          let text = '';
          r.on('data', (d: Buffer) => (text += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write('partial'); // never sends the rest: the server answers from the header
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('artifact.too_large');
  });
});
