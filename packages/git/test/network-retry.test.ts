import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationHeaderValue } from '../src/git-env.js';
import { createFlakyGit, type FlakyGit } from './helpers/flaky-git.js';
import { createFixture, forgeToken, type Fixture, caught } from './workspace-fixture.js';

// An outage of the forge while publishing must not cost the attempt: pushes, fetches and the
// pull-request calls are retried within the policy (here a quick one: 5-50 ms apart, 2 s at most).

let fx: Fixture | undefined;
let flakyDir: string | undefined;
afterEach(async () => {
  await fx?.cleanup();
  if (flakyDir) await rm(flakyDir, { recursive: true, force: true });
  fx = undefined;
  flakyDir = undefined;
});

/** Polls `check` (no fixed sleeps): the forge's state changes when the code under test got this far. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function withFlakyGit(): Promise<{ fx: Fixture; git: FlakyGit }> {
  flakyDir = await mkdtemp(join(tmpdir(), 'coord-flaky-git-'));
  const git = await createFlakyGit(flakyDir);
  return { fx: await createFixture({ gitBinary: git.binary }), git };
}

function expectNoToken(text: string): void {
  expect(text).not.toContain(forgeToken);
  expect(text).not.toContain(authorizationHeaderValue(forgeToken).slice(6));
}

describe('git commands through an outage of the forge', () => {
  it('retries the push until the forge is back, and the attempt opens its PR', async () => {
    const { fx: f, git } = await withFlakyGit();
    fx = f;
    const ws = await f.port.prepare(f.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    await git.down();
    const publishing = f.port.publish(f.publishInput(ws));
    await until(
      async () => (await git.failed()).filter((c) => c === 'push').length >= 2,
      'two failed pushes',
    );
    await git.up();

    const result = await publishing;
    expect(result).toMatchObject({ kind: 'pull_request', pullRequest: { number: 1 } });
    expect(await f.origin.tip(ws.branch)).toBe(result.kind === 'pull_request' ? result.commit : null);
    expect(f.api.pulls).toHaveLength(1);
    expect(f.logs.some((line) => /^Push of .* failed: .*; retrying \(try \d+\)$/.test(line))).toBe(true);
    expectNoToken(f.logs.join('\n'));
  });

  it('retries the mirror refresh of prepare (its ls-remote) the same way', async () => {
    const { fx: f, git } = await withFlakyGit();
    fx = f;
    await f.port.prepare(f.prepareInput()); // creates the mirror
    await git.down();
    const preparing = f.port.prepare(f.prepareInput({ job: { id: 'job_second0001' } }));
    await until(async () => (await git.failed()).includes('ls-remote'), 'a failed ls-remote');
    await git.up();
    const ws = await preparing;
    expect(ws.baseCommit).toBe(await f.origin.tip('main'));
  });

  it('gives up after the policy\u2019s time with a retryable error that shows no token', async () => {
    const { fx: f, git } = await withFlakyGit();
    fx = f;
    const ws = await f.port.prepare(f.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    await git.down();
    const error = await caught(f.port.publish(f.publishInput(ws)));
    expect(error).toMatchObject({ code: 'git.push_failed', retryable: true });
    expect(error.message).toMatch(/Couldn't connect to server.*gave up after \d+ tries/);
    expectNoToken(error.message);
    expect((await git.failed()).length).toBeGreaterThan(2);
    expect(f.api.requests).toHaveLength(0);
  });

  it('stops retrying at once when the signal aborts (lease lost, job cancelled)', async () => {
    const { fx: f, git } = await withFlakyGit();
    fx = f;
    const ws = await f.port.prepare(f.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    await git.down();
    const controller = new AbortController();
    const publishing = caught(f.port.publish(f.publishInput(ws, { signal: controller.signal })));
    await until(async () => (await git.failed()).length >= 1, 'a failed push');
    controller.abort();
    const error = await publishing;
    expect(error.code).toBe('job.cancelled');
    const tries = (await git.failed()).length;
    await git.up();
    expect(tries).toBeLessThan(20);
    expect(await f.origin.tip(ws.branch)).toBeNull();
  });
});

describe('pull-request calls through forge failures', () => {
  it('retries 5xx answers until the forge answers, and still opens exactly one PR', async () => {
    fx = await createFixture();
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    fx.api.failNext('GET', 503, 2);
    fx.api.failNext('POST', 502, 2);
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ kind: 'pull_request', pullRequest: { number: 1 } });
    expect(fx.api.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'POST', 'POST', 'POST']);
    expect(fx.api.pulls).toHaveLength(1);
  });

  it('retries when the forge cannot be reached at all (connection refused)', async () => {
    let refusals = 2;
    const refusing: typeof fetch = (input, init) => {
      if (refusals-- > 0) {
        const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), {
          code: 'ECONNREFUSED',
        });
        return Promise.reject(new TypeError('fetch failed', { cause }));
      }
      return fetch(input, init);
    };
    fx = await createFixture({ octokitFetch: refusing });
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ kind: 'pull_request', pullRequest: { number: 1 } });
    expect(fx.logs.some((line) => /failed try 1 .*ECONNREFUSED/.test(line))).toBe(true);
  });

  it('waits as long as a secondary rate limit asks (Retry-After), not its own shorter backoff', async () => {
    fx = await createFixture();
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    fx.api.secondaryRateLimitNext('POST', 1);
    const started = Date.now();
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result.kind).toBe('pull_request');
    const posts = fx.api.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });
});
