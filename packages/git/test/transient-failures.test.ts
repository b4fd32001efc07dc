import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransientGitFailure } from '../src/git.js';

const run = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What real git prints when its push reaches a forge that drops the connection with no answer. */
async function pushToDroppingForge(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'coord-git-drop-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, GIT_TERMINAL_PROMPT: '0' },
    });
  await git('init', '--quiet');
  await git('commit', '--quiet', '--allow-empty', '-m', 'one');
  // A server killed in the middle of a request: the socket closes and nothing comes back.
  const server = createServer((socket) => socket.once('data', () => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const failed = await git(
    'push',
    `http://127.0.0.1:${port}/acme/widgets.git`,
    'HEAD:refs/heads/coord/x',
  ).then(
    () => null,
    (error: { stderr?: string }) => error.stderr ?? '',
  );
  if (failed === null) throw new Error('the push to a dropping forge succeeded');
  return failed;
}

describe('transient git failures', () => {
  it('counts a forge that went away mid-request (killed or restarting) as transient, so the push is retried', async () => {
    const stderr = await pushToDroppingForge();
    expect(stderr).toMatch(/empty reply from server/i);
    expect(isTransientGitFailure(stderr)).toBe(true);
  });

  it('still counts an answer as final: a missing repository, a refused token', () => {
    expect(isTransientGitFailure("remote: Repository not found.\nfatal: repository 'x' not found")).toBe(
      false,
    );
    expect(isTransientGitFailure("fatal: Authentication failed for 'http://127.0.0.1/x.git/'")).toBe(false);
  });
});
