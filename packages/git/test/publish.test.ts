import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFixture, jobId, type Fixture, caught } from './workspace-fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('publish', () => {
  it('commits with the runner as author and the job trailers, pushes, and opens a pull request', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'widget.test.ts'), 'it("works", () => {});\n');
    await mkdir(join(ws.workDir, 'src'));
    await writeFile(join(ws.workDir, 'src', 'widget.ts'), 'export const widget = 1;\n');

    const result = await fx.port.publish(fx.publishInput(ws));

    const tip = await fx.origin.tip(ws.branch);
    expect(result).toEqual({
      kind: 'pull_request',
      pullRequest: {
        url: expect.stringMatching(/\/acme\/widgets\/pull\/1$/) as unknown,
        number: 1,
        branch: ws.branch,
      },
      commit: tip,
      filesChanged: 2,
    });
    const log = await fx.ctx.git(fx.origin.dir, 'log', '-1', '--format=%an <%ae>%n%cn <%ce>%n%B', ws.branch);
    expect(log).toBe(
      'Coord Runner <runner@coord.invalid>\nCoord Runner <runner@coord.invalid>\n' +
        `Fix the flaky widget test\n\nFixed the race in the widget test.\n\nCoord-Job: ${jobId}\nCoord-Attempt: 1\n\n`,
    );
    const trailers = await fx.ctx.git(
      fx.origin.dir,
      'log',
      '-1',
      '--format=%(trailers:only,unfold)',
      ws.branch,
    );
    expect(trailers.trim()).toBe(`Coord-Job: ${jobId}\nCoord-Attempt: 1`);
    expect((await fx.ctx.git(fx.origin.dir, 'rev-parse', `${ws.branch}~1`)).trim()).toBe(ws.baseCommit);

    const [list, create] = fx.api.requests;
    expect(list).toMatchObject({
      method: 'GET',
      path: '/api/repos/acme/widgets/pulls',
      query: { head: `acme:${ws.branch}`, state: 'open' },
    });
    expect(create).toMatchObject({
      method: 'POST',
      path: '/api/repos/acme/widgets/pulls',
      body: {
        title: 'Fix the flaky widget test',
        head: ws.branch,
        base: 'main',
        body:
          `Fixed the race in the widget test.\n\n---\nCoord job \`${jobId}\`, attempt 1, by Claude Code.\n\n` +
          'Attempts:\n- Attempt 1 (this one): pushed — Fixed the race in the widget test.\n',
      },
    });
    expect(create?.authorization).toMatch(new RegExp(`^(token|bearer) ${fx.forge.token}$`, 'i'));
    expect(fx.api.requests).toHaveLength(2);
    expect(fx.logs).toContain('Opened pull request #1');
  });

  it('a revision pushes to the same branch and updates the pull request instead of opening another', async () => {
    const first = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(first.workDir, 'a.txt'), 'one\n');
    const firstResult = await fx.port.publish(fx.publishInput(first));

    const second = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch: first.branch } }));
    expect(second.baseCommit).toBe(await fx.origin.tip(first.branch));
    await writeFile(join(second.workDir, 'a.txt'), 'two\n');
    const secondResult = await fx.port.publish(
      fx.publishInput(second, { attemptNumber: 2, summary: 'Addressed the review.' }),
    );

    expect(secondResult.kind).toBe('pull_request');
    if (secondResult.kind !== 'pull_request' || firstResult.kind !== 'pull_request') return;
    expect(secondResult.pullRequest).toEqual(firstResult.pullRequest);
    expect(fx.api.pulls).toHaveLength(1);
    expect(fx.api.pulls[0]?.body).toContain('Addressed the review.');
    expect(fx.api.pulls[0]?.body).toContain('attempt 2');
    const patch = fx.api.requests.find((r) => r.method === 'PATCH');
    expect(patch).toMatchObject({ path: '/api/repos/acme/widgets/pulls/1' });
    expect(fx.api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    // Attempt 2's commit sits on top of attempt 1's.
    expect((await fx.ctx.git(fx.origin.dir, 'rev-parse', `${first.branch}~1`)).trim()).toBe(
      firstResult.commit,
    );
    expect(await fx.ctx.git(fx.origin.dir, 'log', '-1', '--format=%B', first.branch)).toContain(
      'Coord-Attempt: 2',
    );
    expect(fx.logs).toContain('Updated pull request #1');
  });

  it('returns no_changes and pushes nothing when the agent changed nothing', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toEqual({ kind: 'no_changes' });
    expect(await fx.origin.tip(ws.branch)).toBeNull();
    expect(fx.api.requests).toHaveLength(0);
  });

  it('publishes commits the agent made itself', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'by-agent.txt'), 'agent\n');
    await fx.ctx.git(ws.workDir, 'add', 'by-agent.txt');
    await fx.ctx.git(ws.workDir, 'commit', '--quiet', '-m', 'Agent commit');
    const agentCommit = (await fx.ctx.git(ws.workDir, 'rev-parse', 'HEAD')).trim();

    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ kind: 'pull_request', commit: agentCommit, filesChanged: 1 });
    expect(await fx.origin.tip(ws.branch)).toBe(agentCommit);
  });

  it('publishing again after a kill mid-commit clears the stale index.lock and commits nothing twice', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const first = await fx.port.publish(fx.publishInput(ws));
    // As if the runner was killed in a git that held the index; the attempt is published again.
    await writeFile(join(ws.workDir, '.git', 'index.lock'), '');
    const logged: string[] = [];
    const again = await fx.port.publish({ ...fx.publishInput(ws), log: (m: string) => logged.push(m) });
    expect(again).toMatchObject({ kind: 'pull_request', commit: (first as { commit: string }).commit });
    expect(logged).toContain('Removed a stale .git/index.lock left by a git process that was killed');
    expect(
      (await fx.ctx.git(fx.origin.dir, 'rev-list', '--count', `${ws.baseCommit}..${ws.branch}`)).trim(),
    ).toBe('1');
    expect(fx.api.pulls).toHaveLength(1);
  });

  it('a retry after a failure between push and pull request finds or creates exactly one pull request', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    // The forge keeps failing the create until this publish gives up.
    fx.api.failNext('POST', 502, Number.POSITIVE_INFINITY);
    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error.code).toBe('git.pr_failed');
    expect(error.retryable).toBe(true);
    const pushed = await fx.origin.tip(ws.branch);
    expect(pushed).not.toBeNull();
    fx.api.heal();

    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ kind: 'pull_request', commit: pushed, pullRequest: { number: 1 } });
    expect(fx.api.pulls).toHaveLength(1);
    // Publishing once more only updates.
    await fx.port.publish(fx.publishInput(ws));
    expect(fx.api.pulls).toHaveLength(1);
    expect(await fx.origin.tip(ws.branch)).toBe(pushed);
  });

  it('a create that loses a race (422 already exists) updates the pull request that won', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    // Another try opened the PR for this branch just after our list read: create answers 422.
    fx.api.pulls.push({ number: 1, title: 'x', body: 'old', head: ws.branch, base: 'main', state: 'open' });
    fx.api.staleLists = 1;
    const published = await fx.port.publish(fx.publishInput(ws));
    expect(published).toMatchObject({ kind: 'pull_request', pullRequest: { number: 1 } });
    expect(fx.api.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
    expect(fx.api.pulls[0]?.body).toContain('Fixed the race');
    expect(fx.api.pulls).toHaveLength(1);
  });

  it('never edits a pull request of another branch, even when the forge ignores the head filter', async () => {
    fx.api.pulls.push({
      number: 1,
      title: 'Someone else',
      body: 'theirs',
      head: 'feature/other',
      base: 'main',
      state: 'open',
    });
    fx.api.ignoreHeadFilter = true;
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ pullRequest: { number: 2 } });
    expect(fx.api.pulls[0]?.body).toBe('theirs');
  });

  it('fails with git.push_rejected (not retryable) when the forge itself refuses the push', async () => {
    // A policy (a hook, branch protection), not a race: another attempt would be refused the same way.
    await writeFile(
      join(fx.origin.dir, 'hooks', 'pre-receive'),
      '#!/bin/sh\necho "branch is protected" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');

    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error.code).toBe('git.push_rejected');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(ws.branch);
    expect(error.message).toContain('refused by the forge');
    expect(await fx.origin.tip(ws.branch)).toBeNull();
    expect(fx.api.requests).toHaveLength(0);
  });

  it('fails with git.push_failed when origin is unreachable', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const gone = { ...fx.repository, cloneUrl: `${fx.origin.cloneUrl}-gone` };
    const error = await caught(fx.port.publish(fx.publishInput(ws, { repository: gone })));
    expect(error.code).toBe('git.push_failed');
    expect(error.message).not.toContain(fx.forge.token);
  });

  it('honours an aborted signal and pushes nothing', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const controller = new AbortController();
    controller.abort();
    const error = await caught(fx.port.publish(fx.publishInput(ws, { signal: controller.signal })));
    expect(error.code).toBe('job.cancelled');
    expect(await fx.origin.tip(ws.branch)).toBeNull();
  });

  it('without forge credentials fails with git.pr_failed before pushing anything', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const error = await caught(fx.port.publish(fx.publishInput(ws, { forge: null })));
    expect(error.code).toBe('git.pr_failed');
    expect(error.retryable).toBe(false);
    expect(await fx.origin.tip(ws.branch)).toBeNull();
  });

  it('maps a refused forge token to a git.pr_failed that is not retryable and does not show the token', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    fx.api.failNext('GET', 401);
    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error).toMatchObject({ code: 'git.pr_failed', retryable: false });
    expect(error.message).toContain('401');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(fx.forge.token);
  });
});
