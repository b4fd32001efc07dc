import { errorBodySchema, jobResponseSchema, meResponseSchema } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { jobSubmission, register, startServer } from './helpers.js';

describe('protocol basics', () => {
  it('refuses requests without a token or with a bad one', async () => {
    const { api } = await startServer();
    const missing = await api('GET', '/v1/me', undefined, { token: null });
    expect(missing.status).toBe(401);
    expect(errorBodySchema.parse(missing.body).error.code).toBe('auth.missing_token');
    const bad = await api('GET', '/v1/me', undefined, { token: 'coord_nope' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('auth.invalid_token');
  });

  it('accepts a missing protocol header and rejects an unknown major with a clear message', async () => {
    const { api } = await startServer();
    const none = await api('GET', '/v1/me', undefined, { headers: { 'Coord-Protocol': '' } });
    // An empty header is not a version: only an absent one defaults to 1.
    expect(none.status).toBe(400);
    const res = await fetch(`${(await startServer()).server.url}/v1/me`);
    expect(res.status).toBe(401); // no protocol header: passes the version check, then needs a token
    const v2 = await api('GET', '/v1/me', undefined, { headers: { 'Coord-Protocol': '2' } });
    expect(v2.status).toBe(400);
    expect(v2.body.error.code).toBe('protocol.unsupported_version');
    expect(v2.body.error.message).toMatch(/speaks Coord protocol 1/);
  });

  it('answers /v1/me for the default account', async () => {
    const { api } = await startServer();
    const me = meResponseSchema.parse((await api('GET', '/v1/me')).body);
    expect(me).toEqual({
      account: { id: 'local', name: 'local' },
      workspaces: [{ id: 'local', name: 'local' }],
    });
  });

  it('rejects malformed JSON with request.invalid', async () => {
    const { api } = await startServer();
    const res = await api('POST', '/v1/workspaces/local/jobs', '{"title": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('request.invalid');
    expect(res.body.error.issues[0].path).toBe('(root)');
  });

  it('ignores unknown body fields', async () => {
    const { api } = await startServer();
    const res = await api('POST', '/v1/workspaces/local/jobs', { ...jobSubmission(), colour: 'blue' });
    expect(res.status).toBe(201);
    expect(jobResponseSchema.parse(res.body).job.spec).not.toHaveProperty('colour');
  });

  it('unknown routes answer 404 in the error shape', async () => {
    const { api } = await startServer();
    const res = await api('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(errorBodySchema.parse(res.body).error.code).toBe('request.not_found');
  });

  it('registration is idempotent by machine id and refreshes details', async () => {
    const { api } = await startServer({ leaseRenewMs: 1000, leaseTtlMs: 4000, claimWaitMs: 3000 });
    const first = await api('POST', '/v1/runners/register', {
      machineId: 'machine-xyz-1',
      name: 'one',
      platform: 'linux',
      arch: 'x64',
      version: '1',
      agents: [],
      capacity: 1,
    });
    expect(first.status).toBe(200);
    expect(first.body.timings).toEqual({ leaseRenewMs: 1000, leaseTtlMs: 4000, claimWaitMs: 3000 });
    expect(first.body.workspaces).toEqual([{ id: 'local', name: 'local' }]);
    // Runners keep each request below this (event batches are capped in bytes under it).
    expect(first.body.limits).toEqual({ maxRequestBytes: 16 * 1024 * 1024 });
    const again = await register(api, { machineId: 'machine-xyz-1', name: 'renamed' });
    expect(again).toBe(first.body.runner.id);
    const other = await register(api, { machineId: 'machine-xyz-2' });
    expect(other).not.toBe(again);
    const bad = await api('POST', '/v1/runners/register', { machineId: 'short', name: '', platform: 'beos' });
    expect(bad.status).toBe(400);
    const paths = bad.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['machineId', 'name', 'platform', 'arch', 'capacity']));
  });
});
