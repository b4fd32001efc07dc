import { describe, expect, it } from 'vitest';
import { startLocalServer } from '../src/index.js';
import { apiFor, register, startServer, submit, tempDir, waitFor } from './helpers.js';

describe('web page and shutdown', () => {
  it('lists jobs for a signed-in browser and asks others to sign in', async () => {
    const { server, api } = await startServer();
    await submit(api, { title: '<b>escaped</b> job' });
    const anonymous = await fetch(`${server.url}/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="coord"');
    const basic = Buffer.from(`me:${server.token}`).toString('base64');
    const page = await fetch(`${server.url}/`, { headers: { authorization: `Basic ${basic}` } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('&lt;b&gt;escaped&lt;/b&gt; job');
    expect(html).toContain('ready');
  });

  it('close() answers parked claims with null and releases the data dir for a restart', async () => {
    const dir = tempDir();
    const server = await startLocalServer({ dataDir: dir });
    const api = apiFor(server);
    const runner = await register(api);
    const parked = api('POST', `/v1/runners/${runner}/claim`, { waitMs: 20_000 });
    await waitFor(() => server.parkedClaims() === 1, 'the claim to park');
    await server.close();
    expect((await parked).body).toEqual({ assignment: null });
    const again = await startLocalServer({ dataDir: dir });
    try {
      expect(again.token).toBe(server.token);
      expect(await register(apiFor(again))).toBe(runner);
    } finally {
      await again.close();
    }
  });
});
