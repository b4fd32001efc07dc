import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalServer, type LocalServer } from '@coord/local-server';
import { execa, type ResultPromise } from 'execa';
import type { Page } from 'playwright-core';

const CLI_BIN = fileURLToPath(new URL('../../../../apps/cli/bin/coord-runner.js', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];

/** Runs what tests registered, newest first (call from afterEach). */
export async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `coord-browser-${prefix}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real local server on loopback, with its data dir. */
export async function startServer(dir: string): Promise<LocalServer> {
  const server = await startLocalServer({ dataDir: join(dir, 'server') });
  onCleanup(() => server.close());
  return server;
}

/** A repository on the server's forge, created through its GitHub-compatible API. */
export async function createRepo(server: LocalServer, name: string): Promise<void> {
  const res = await fetch(`${server.url}/forge/api/user/repos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, auto_init: true }),
  });
  if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${await res.text()}`);
}

/** `coord-runner start` as a user runs it (built CLI, private HOME), answering nothing itself. */
export function startRunner(server: LocalServer, dir: string): { output: () => string } {
  const child = execa(
    process.execPath,
    [
      CLI_BIN,
      'start',
      '--server',
      server.url,
      '--token-file',
      join(dir, 'server', 'token'),
      '--state-dir',
      join(dir, 'runner'),
      '--name',
      'browser-test-runner',
      '--no-interactive',
      '--json',
    ],
    {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: join(dir, 'home'),
        LANG: 'C.UTF-8',
        GIT_TERMINAL_PROMPT: '0',
      },
      extendEnv: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
    },
  ) as unknown as ResultPromise;
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  onCleanup(async () => {
    child.kill('SIGTERM');
    await child;
  });
  return { output: () => output };
}

/** Signs in through the sign-in form with the server's token, as a person pastes it. */
export async function signIn(page: Page, server: LocalServer, next = '/'): Promise<void> {
  await page.goto(`${server.url}/sign-in?next=${encodeURIComponent(next)}`);
  await page.fill('input[name="token"]', server.token);
  await Promise.all([page.waitForURL(`${server.url}${next}`), page.click('button[type="submit"]')]);
}
