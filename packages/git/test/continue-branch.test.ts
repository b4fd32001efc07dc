import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFixture, jobIdHash, type Fixture, caught } from './workspace-fixture.js';

// An attempt killed after its push (or after its PR) leaves the job's branch on origin, unrecorded:
// the server hands the next attempt no branch. These tests are that next attempt.
const branch = `coord/fix-the-flaky-widget-test-${jobIdHash}`;

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const ancestor = async (commit: string, of: string) =>
  fx.ctx.git(fx.origin.dir, 'merge-base', '--is-ancestor', commit, of).then(
    () => true,
    () => false,
  );

describe('the attempt after one that was killed while publishing', () => {
  it('prepare continues the branch the killed attempt pushed, though no attempt recorded it', async () => {
    const pushed = await fx.origin.commit(branch, { 'a.txt': 'attempt 1\n' });
    const ws = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch: null } }));
    expect(ws.branch).toBe(branch);
    expect(ws.baseBranch).toBe('main');
    expect(ws.baseCommit).toBe(pushed);
    expect(await readFile(join(ws.workDir, 'a.txt'), 'utf8')).toBe('attempt 1\n');
  });

  it('a pushed branch with no pull request gets exactly one, even when the rerun agent changes nothing', async () => {
    const ws1 = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws1.workDir, 'a.txt'), 'one\n');
    fx.api.failNext('GET', 401); // the first attempt dies after its push, before any PR
    await caught(fx.port.publish(fx.publishInput(ws1)));
    const pushed = await fx.origin.tip(branch);
    expect(pushed).not.toBeNull();

    const ws2 = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch: null } }));
    await writeFile(join(ws2.workDir, 'a.txt'), 'one\n'); // the same work again: nothing new
    const result = await fx.port.publish(
      fx.publishInput(ws2, { attempt: fx.prepareInput({ attempt: { number: 2 } }).attempt }),
    );
    expect(result).toMatchObject({
      kind: 'pull_request',
      commit: pushed,
      pullRequest: { number: 1, branch },
    });
    expect(fx.api.pulls).toHaveLength(1);
    expect(await fx.origin.tip(branch)).toBe(pushed);
  });

  it('an open pull request nobody recorded is found by its head, updated and returned: still one PR', async () => {
    await fx.origin.commit(branch, { 'a.txt': 'attempt 1\n' });
    fx.api.pulls.push({ number: 7, title: 'old', body: 'old', head: branch, base: 'main', state: 'open' });
    const ws = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch: null } }));
    await writeFile(join(ws.workDir, 'b.txt'), 'attempt 2\n');
    const result = await fx.port.publish(
      fx.publishInput(ws, { attempt: fx.prepareInput({ attempt: { number: 2 } }).attempt }),
    );
    expect(result).toMatchObject({ kind: 'pull_request', pullRequest: { number: 7, branch } });
    expect(fx.api.pulls).toHaveLength(1);
    expect(fx.api.pulls[0]).toMatchObject({ title: 'Fix the flaky widget test' });
    expect(fx.api.pulls[0]?.body).toContain('attempt 2');
    expect(fx.api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('a push rejected because the killed attempt\u2019s own push landed late is rebased on it, not forced', async () => {
    // Prepared before the killed attempt's push reached origin: the branch started from main.
    const ws = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch: null } }));
    const late = await fx.origin.commit(branch, { 'a.txt': 'the same work\n' });
    await writeFile(join(ws.workDir, 'a.txt'), 'the same work\n');
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ kind: 'pull_request', pullRequest: { number: 1 } });
    const tip = await fx.origin.tip(branch);
    expect(await ancestor(late, tip!)).toBe(true);
    expect(fx.api.pulls).toHaveLength(1);
  });

  it('a push rejected because someone else pushed to the branch puts this attempt\u2019s commit on top of theirs', async () => {
    await fx.origin.commit(branch, { 'a.txt': 'attempt 1\n' });
    const ws = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch } }));
    const someoneElse = await fx.origin.commit(branch, { 'b.txt': 'a reviewer pushed a fix\n' });
    await writeFile(join(ws.workDir, 'a.txt'), 'attempt 2\n');

    const result = await fx.port.publish(fx.publishInput(ws, { attemptNumber: 2 }));
    expect(result.kind).toBe('pull_request');
    const tip = (await fx.origin.tip(branch))!;
    expect(await ancestor(someoneElse, tip)).toBe(true);
    expect(await fx.ctx.git(fx.origin.dir, 'show', `${tip}:a.txt`)).toBe('attempt 2\n');
    expect(await fx.ctx.git(fx.origin.dir, 'show', `${tip}:b.txt`)).toBe('a reviewer pushed a fix\n');
    expect(result).toMatchObject({ commit: tip });
  });

  it('a real conflict with what someone else pushed fails retryably, names the files, and keeps the work', async () => {
    await fx.origin.commit(branch, { 'a.txt': 'attempt 1\n' });
    const ws = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch } }));
    const someoneElse = await fx.origin.commit(branch, { 'a.txt': 'their version\n' });
    await writeFile(join(ws.workDir, 'a.txt'), 'our version\n');

    const error = await caught(fx.port.publish(fx.publishInput(ws, { attemptNumber: 2 })));
    expect(error.code).toBe('git.push_rejected');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(branch);
    expect(error.message).toContain('a.txt');
    expect(await fx.origin.tip(branch)).toBe(someoneElse);
    expect(fx.api.requests).toHaveLength(0);
    // This attempt's commit is still in its work tree, which is not left mid-rebase.
    expect(await readFile(join(ws.workDir, 'a.txt'), 'utf8')).toBe('our version\n');
    expect(await fx.ctx.git(ws.workDir, 'log', '-1', '--format=%B')).toContain('Coord-Attempt: 2');
    expect((await fx.ctx.git(ws.workDir, 'status', '--porcelain')).trim()).toBe('');
  });
});
