import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreparedWorkspace } from '@coord/runner-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { RepositoryWorkspacesOptions } from '../src/index.js';
import { createFixture, type Fixture, caught } from './workspace-fixture.js';

// A reviewer asked for changes: the next attempt gets the job's branch and the feedback, adds
// commits on top, pushes without force (unless the runner rebases onto a moved base) and updates
// the same pull request, whose body lists the attempts.

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const ancestor = async (f: Fixture, commit: string, of: string) =>
  f.ctx.git(f.origin.dir, 'merge-base', '--is-ancestor', commit, of).then(
    () => true,
    () => false,
  );

/** Attempt 1 delivered `a.txt`; its PR #1 awaits review. */
async function reviewed(options: Partial<RepositoryWorkspacesOptions> = {}) {
  const f = await createFixture(options);
  const first = await f.port.prepare(f.prepareInput());
  await writeFile(join(first.workDir, 'a.txt'), 'one\n');
  await f.port.publish(f.publishInput(first, { summary: 'Added a.txt.' }));
  const firstTip = (await f.origin.tip(first.branch))!;
  return { f, first, firstTip };
}

const feedback = 'Please also add b.txt';
function revisionAttempt(f: Fixture, branch: string) {
  return {
    number: 2,
    branch,
    feedback,
    earlier: [{ number: 1, status: 'succeeded', summary: 'Added a.txt.', error: null, feedback: null }],
  };
}

async function prepareRevision(f: Fixture, branch: string): Promise<PreparedWorkspace> {
  return f.port.prepare(f.prepareInput({ attempt: revisionAttempt(f, branch) }));
}

async function publishRevision(f: Fixture, ws: PreparedWorkspace, summary = 'Added b.txt as asked.') {
  const base = f.publishInput(ws, { summary });
  return f.port.publish({ ...base, attempt: { ...base.attempt, ...revisionAttempt(f, ws.branch) } });
}

describe('a revision', () => {
  it('continues the branch, adds a commit, pushes without force and updates the same PR, listing the attempts', async () => {
    const { f, first, firstTip } = await reviewed();
    fx = f;
    const ws = await prepareRevision(f, first.branch);
    expect(ws).toMatchObject({ branch: first.branch, baseCommit: firstTip, originTip: firstTip });
    expect(await readFile(join(ws.workDir, 'a.txt'), 'utf8')).toBe('one\n');
    await writeFile(join(ws.workDir, 'b.txt'), 'two\n');

    const result = await publishRevision(f, ws);
    const tip = (await f.origin.tip(first.branch))!;
    expect(result).toMatchObject({
      kind: 'pull_request',
      pullRequest: { number: 1 },
      commit: tip,
      filesChanged: 1,
    });
    expect((await f.ctx.git(f.origin.dir, 'rev-parse', `${tip}~1`)).trim()).toBe(firstTip);
    expect(f.api.pulls).toHaveLength(1);
    expect(f.api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(f.api.pulls[0]?.body).toContain(
      'Attempts:\n- Attempt 1: succeeded — Added a.txt.\n' +
        '- Attempt 2 (this one): pushed — answering review "Please also add b.txt" — Added b.txt as asked.\n',
    );
  });

  it('that changes nothing publishes nothing and leaves the PR as it was', async () => {
    const { f, first, firstTip } = await reviewed();
    fx = f;
    const before = f.api.requests.length;
    const ws = await prepareRevision(f, first.branch);
    expect(await publishRevision(f, ws)).toEqual({ kind: 'no_changes' });
    expect(await f.origin.tip(first.branch)).toBe(firstTip);
    expect(f.api.requests).toHaveLength(before);
  });

  it('merges a base branch that moved into the job branch (the default), and the push is a fast-forward', async () => {
    const { f, first, firstTip } = await reviewed();
    fx = f;
    const moved = await f.origin.commit('main', { 'CHANGELOG.md': 'someone else\n' });
    const ws = await prepareRevision(f, first.branch);
    expect(ws.baseCommit).not.toBe(firstTip);
    expect(await readFile(join(ws.workDir, 'CHANGELOG.md'), 'utf8')).toBe('someone else\n');
    await writeFile(join(ws.workDir, 'b.txt'), 'two\n');
    await publishRevision(f, ws);
    const tip = (await f.origin.tip(first.branch))!;
    expect(await ancestor(f, firstTip, tip)).toBe(true);
    expect(await ancestor(f, moved, tip)).toBe(true);
    const subjects = await f.ctx.git(f.origin.dir, 'log', '--format=%s', `${firstTip}..${tip}`);
    expect(subjects).toBe(`Fix the flaky widget test\nMerge main into ${first.branch}\nChange 2\n`);
    // The secret scan and file count see this attempt's work, not what the base brought.
    expect(f.logs.some((l) => l.includes('main moved since') && l.includes('merging it in'))).toBe(true);
  });

  it('merges even when the agent changes nothing: the PR catches up with its base', async () => {
    const { f, first, firstTip } = await reviewed();
    fx = f;
    const moved = await f.origin.commit('main', { 'CHANGELOG.md': 'someone else\n' });
    const ws = await prepareRevision(f, first.branch);
    const result = await publishRevision(f, ws);
    expect(result.kind).toBe('pull_request');
    const tip = (await f.origin.tip(first.branch))!;
    expect(await ancestor(f, moved, tip)).toBe(true);
    expect(await ancestor(f, firstTip, tip)).toBe(true);
  });

  it('rebases onto a moved base when configured, replacing only the old tip (force with lease)', async () => {
    const { f, first, firstTip } = await reviewed({ baseDrift: 'rebase' });
    fx = f;
    const moved = await f.origin.commit('main', { 'CHANGELOG.md': 'someone else\n' });
    const ws = await prepareRevision(f, first.branch);
    await writeFile(join(ws.workDir, 'b.txt'), 'two\n');
    const result = await publishRevision(f, ws);
    expect(result.kind).toBe('pull_request');
    const tip = (await f.origin.tip(first.branch))!;
    expect(await ancestor(f, moved, tip)).toBe(true);
    expect(await ancestor(f, firstTip, tip)).toBe(false);
    const log = await f.ctx.git(f.origin.dir, 'log', '--format=%s%x09%P', `${moved}..${tip}`);
    expect(log.trim().split('\n')).toHaveLength(2); // linear: attempt 1's commit replayed, then attempt 2's
    expect(log).not.toContain('Merge');
    expect(await f.ctx.git(f.origin.dir, 'show', `${tip}:a.txt`)).toBe('one\n');
    expect(f.api.pulls).toHaveLength(1);
  });

  it('rebasing never overwrites what someone pushed to the branch meanwhile', async () => {
    const { f, first } = await reviewed({ baseDrift: 'rebase' });
    fx = f;
    await f.origin.commit('main', { 'CHANGELOG.md': 'someone else\n' });
    const ws = await prepareRevision(f, first.branch);
    const theirs = await f.origin.commit(first.branch, { 'c.txt': 'a reviewer pushed this\n' });
    await writeFile(join(ws.workDir, 'b.txt'), 'two\n');
    const error = await caught(publishRevision(f, ws));
    expect(error).toMatchObject({ code: 'git.push_rejected', retryable: true });
    expect(error.message).toContain('moved on origin after this attempt rebased it');
    expect(await f.origin.tip(first.branch)).toBe(theirs);
  });

  it.each(['merge', 'rebase'] as const)(
    'fails, naming the files, when the moved base conflicts with the branch (%s)',
    async (baseDrift) => {
      const { f, first, firstTip } = await reviewed({ baseDrift });
      fx = f;
      await f.origin.commit('main', { 'a.txt': 'their one\n', 'README.md': '# Renamed\n' });
      const error = await caught(prepareRevision(f, first.branch));
      expect(error).toMatchObject({
        code: 'git.conflict',
        retryable: false,
        details: { conflicts: ['a.txt'] },
      });
      expect(error.message).toContain(
        `${first.branch} conflicts with main (which moved since the branch was made) in a.txt`,
      );
      expect(error.message).toContain(`the ${baseDrift} was abandoned and nothing was pushed`);
      expect(await f.origin.tip(first.branch)).toBe(firstTip);
    },
  );

  it('is refused by a forge that protects the branch, saying so', async () => {
    const { f, first, firstTip } = await reviewed();
    fx = f;
    const hook = join(f.origin.dir, 'hooks', 'pre-receive');
    await writeFile(
      hook,
      '#!/bin/sh\necho "error: GH006: Protected branch update failed for refs/heads/x." >&2\nexit 1\n',
    );
    await chmod(hook, 0o755);
    const ws = await prepareRevision(f, first.branch);
    await writeFile(join(ws.workDir, 'b.txt'), 'two\n');
    const error = await caught(publishRevision(f, ws));
    expect(error).toMatchObject({ code: 'git.push_rejected', retryable: false });
    expect(error.message).toContain('was refused by the forge');
    expect(error.message).toContain(`${first.branch} is protected on the forge`);
    expect(await f.origin.tip(first.branch)).toBe(firstTip);
  });
});
