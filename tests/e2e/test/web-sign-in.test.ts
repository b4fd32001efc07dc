import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { CLI_BIN, cliEnv, runCli, tempDir } from './helpers/cli.js';
import { startCliServer } from './helpers/server.js';
import { terminal } from './helpers/terminal.js';

const LINK = /(http:\/\/127\.0\.0\.1:\d+)\/sign-in#code=([A-Za-z0-9_-]{43})/;

/** Opens a sign-in link as the sign-in page does (nonce cookie, CSRF token, the code): the status. */
async function openLink(link: string): Promise<number> {
  const [, origin, code] = LINK.exec(link)!;
  const page = await fetch(`${origin}/sign-in`);
  const nonce = page.headers
    .getSetCookie()
    .find((c) => c.startsWith('coord_sign_in='))!
    .split(';', 1)[0]!;
  const csrf = /<meta name="coord-csrf" content="([^"]*)">/.exec(await page.text())![1]!;
  const res = await fetch(`${origin}/api/sign-in`, {
    method: 'POST',
    headers: { origin: origin!, cookie: nonce, 'x-coord-csrf': csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ code, next: '/' }),
  });
  return res.status;
}

describe('signing in to the local web page', () => {
  it('coord-runner local shows a one-time link at the terminal, never its token', async () => {
    const dir = tempDir('local-link');
    onCleanup(dir.cleanup);
    const dataDir = join(dir.path, 'server');
    const term = terminal('local-link', [process.execPath, CLI_BIN, 'local', '--data-dir', dataDir], {
      ...cliEnv(join(dir.path, 'home')),
      TERM: 'xterm-256color',
    });
    const screen = await term.waitFor(LINK, 'the sign-in link');
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    expect(screen).not.toContain(token);
    expect(screen).toContain('another link later: coord-runner web --server');
    expect(await openLink(LINK.exec(screen)![0])).toBe(200);
    // Spent by its first use.
    expect(await openLink(LINK.exec(screen)![0])).toBe(401);
  });

  it('a log gets no link and no token; coord-runner web makes a link that works once', async () => {
    const dir = tempDir('web-link');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    const web = await runCli(['web', '--server', server.url, '--token-file', server.tokenFile], {
      env,
      timeoutMs: 20_000,
    });
    expect(web.exitCode, String(web.all)).toBe(0);
    const link = LINK.exec(String(web.stdout))?.[0];
    expect(link, String(web.stdout)).toBeDefined();
    expect(String(web.all)).not.toContain(server.token);
    expect(await openLink(link!)).toBe(200);
    expect(await openLink(link!)).toBe(401);
    expect(server.output()).toContain(
      `coord-runner web --server ${server.url} --token-file ${server.tokenFile}`,
    );
    expect(server.output()).not.toContain(server.token);
    expect(server.output()).not.toMatch(LINK);
  });

  it('coord-runner web says so when a server makes no links', async () => {
    const dir = tempDir('web-no-links');
    onCleanup(dir.cleanup);
    const bare = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'request.not_found', message: 'No route' } }));
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => bare.close(() => resolve())));
    const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    const web = await runCli(['web', '--server', url], {
      env: cliEnv(join(dir.path, 'home'), { COORD_TOKEN: 'coord_planted_token_value' }),
      timeoutMs: 20_000,
    });
    expect(web.exitCode).toBe(1);
    expect(String(web.all)).toContain(`${url} makes no one-time sign-in links.`);
    expect(String(web.all)).not.toContain('coord_planted_token_value');
  });
});
