import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isCoordError } from '@coord/runner-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepositoryWorkspaces } from '../src/index.js';
import { createGitRecorder } from './helpers/git-recorder.js';
import { createFixture, jobId, jobIdHash, type Fixture } from './workspace-fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('prepare', () => {
  it('creates the job branch from the default branch in <workspaceDir>/<jobId>/attempt-<n>', async () => {
    const mainTip = await fx.origin.tip('main');
    const ws = await fx.port.prepare(fx.prepareInput());

    expect(ws.workDir).toBe(join(fx.ctx.workspaceDir, jobId, 'attempt-1'));
    expect(ws.branch).toBe(`coord/fix-the-flaky-widget-test-${jobIdHash}`);
    expect(ws.baseBranch).toBe('main');
    expect(ws.baseCommit).toBe(mainTip);
    expect(await readFile(join(ws.workDir, 'README.md'), 'utf8')).toBe('# Widgets\n');
    expect((await fx.ctx.git(ws.workDir, 'symbolic-ref', 'HEAD')).trim()).toBe(`refs/heads/${ws.branch}`);
    expect((await fx.ctx.git(ws.workDir, 'rev-parse', 'HEAD')).trim()).toBe(mainTip);
    expect((await fx.ctx.git(ws.workDir, 'remote', 'get-url', 'origin')).trim()).toBe(fx.origin.cloneUrl);
    expect((await fx.ctx.git(ws.workDir, 'status', '--porcelain')).trim()).toBe('');
    // One mirror, whose objects the work tree borrows rather than copies.
    const mirrors = (await readdir(fx.ctx.mirrorsDir)).filter((name) => name.endsWith('.git'));
    expect(mirrors).toHaveLength(1);
    expect((await readFile(join(ws.workDir, '.git/objects/info/alternates'), 'utf8')).trim()).toBe(
      join(fx.ctx.mirrorsDir, mirrors[0]!, 'objects'),
    );
  });

  it('checks out the base branch the job names', async () => {
    const ws = await fx.port.prepare(fx.prepareInput({ repository: { baseBranch: 'develop' } }));
    expect(ws.baseBranch).toBe('develop');
    expect(ws.baseCommit).toBe(await fx.origin.tip('develop'));
    expect(await readFile(join(ws.workDir, 'DEVELOP.md'), 'utf8')).toBe('develop\n');
  });

  it('fails clearly when the base branch does not exist on origin', async () => {
    const error = await fx.port
      .prepare(fx.prepareInput({ repository: { baseBranch: 'nope' } }))
      .catch((e: unknown) => e);
    expect(isCoordError(error) && error.code).toBe('git.invalid_branch');
    expect((error as Error).message).toContain('nope');
    await expect(readdir(join(fx.ctx.workspaceDir, jobId))).resolves.toEqual([]);
  });

  it('reuses the mirror for the second job on a repository and sees new commits', async () => {
    await fx.port.prepare(fx.prepareInput());
    const moved = await fx.origin.commit('main', { 'NEW.md': 'new\n' });

    fx.logs.length = 0;
    // How fast it is, `pnpm bench prepare` measures (never a timed test).
    const ws = await fx.port.prepare(
      fx.prepareInput({ job: { id: 'job_second0001', title: 'Another job' } }),
    );

    expect(ws.baseCommit).toBe(moved);
    expect(fx.logs.some((line) => line.startsWith('Updating mirror of acme/widgets'))).toBe(true);
    expect(fx.logs.some((line) => line.startsWith('Creating mirror'))).toBe(false);
    expect((await readdir(fx.ctx.mirrorsDir)).filter((name) => name.endsWith('.git'))).toHaveLength(1);
  });

  it('does no fetch for the next job when nothing changed on the remote: one ls-remote, then the clone', async () => {
    const rec = await createGitRecorder(fx.ctx.root);
    const port = createRepositoryWorkspaces({
      workspaceDir: fx.ctx.workspaceDir,
      mirrorsDir: fx.ctx.mirrorsDir,
      allowFileRemotes: true,
      environment: fx.ctx.env,
      gitBinary: rec.binary,
    });
    await port.prepare(fx.prepareInput());
    await port.idle(); // the standby the first job left is checked out before this one comes
    const before = (await rec.calls()).length;
    fx.logs.length = 0;
    const ws = await port.prepare(fx.prepareInput({ job: { id: 'job_unchanged01' } }));
    const network = (await rec.calls())
      .slice(before)
      .map((call) => call.argv.split(' ')[0])
      .filter((command) => ['fetch', 'ls-remote', 'clone'].includes(command!));
    expect(network).toEqual(['ls-remote', 'clone']);
    expect(fx.logs).toContain('Mirror of acme/widgets already matches the remote');
    expect(ws.baseCommit).toBe(await fx.origin.tip('main'));

    // A new tag alone is a change: the mirror fetches it.
    await fx.ctx.git(fx.origin.dir, 'tag', 'v1', 'main');
    fx.logs.length = 0;
    await port.prepare(fx.prepareInput({ job: { id: 'job_tagged0001' } }));
    expect(fx.logs.some((line) => line.startsWith('Updating mirror of acme/widgets'))).toBe(true);
    await port.idle();
  });

  it('serializes concurrent prepares on one repository through the mirror lock', async () => {
    const [a, b] = await Promise.all([
      fx.port.prepare(fx.prepareInput({ job: { id: 'job_concurrent_a' } })),
      fx.port.prepare(fx.prepareInput({ job: { id: 'job_concurrent_b' } })),
    ]);
    expect(a.baseCommit).toBe(b.baseCommit);
    expect(fx.logs.filter((line) => line.startsWith('Creating mirror'))).toHaveLength(1);
    // The second found the mirror made, and the remote unchanged.
    expect(
      fx.logs.filter((line) => line === 'Mirror of acme/widgets already matches the remote'),
    ).toHaveLength(1);
    await fx.port.idle(); // the standby being made holds the mirror's lock a moment
    expect((await readdir(fx.ctx.mirrorsDir)).sort()).toEqual([
      expect.stringMatching(/^acme-widgets-[0-9a-f]{16}\.git$/),
    ]);
  });

  it('continues the branch an earlier attempt pushed (a revision)', async () => {
    const branch = `coord/fix-the-flaky-widget-test-${jobIdHash}`;
    const pushed = await fx.origin.commit(branch, { 'fix.txt': 'attempt 1\n' });
    const moved = await fx.origin.commit('main', { 'LATER.md': 'main moved on\n' });

    const ws = await fx.port.prepare(fx.prepareInput({ attempt: { number: 2, branch } }));
    expect(ws.workDir).toBe(join(fx.ctx.workspaceDir, jobId, 'attempt-2'));
    expect(ws.branch).toBe(branch);
    expect(ws.baseBranch).toBe('main');
    expect(ws.originTip).toBe(pushed);
    // main moved on: it is merged in (the default base-drift policy), so the agent works on both.
    expect((await fx.ctx.git(ws.workDir, 'log', '-1', '--format=%P', ws.baseCommit)).trim()).toBe(
      `${pushed} ${moved}`,
    );
    expect(await readFile(join(ws.workDir, 'fix.txt'), 'utf8')).toBe('attempt 1\n');
    expect(await readFile(join(ws.workDir, 'LATER.md'), 'utf8')).toBe('main moved on\n');
  });

  it('creates the attempt branch from the base when origin does not have it yet', async () => {
    const ws = await fx.port.prepare(fx.prepareInput({ attempt: { branch: 'coord/custom-name' } }));
    expect(ws.branch).toBe('coord/custom-name');
    expect(ws.baseCommit).toBe(await fx.origin.tip('main'));
  });

  it('replaces a work tree left by an earlier try of the same attempt', async () => {
    const first = await fx.port.prepare(fx.prepareInput());
    await fx.ctx.git(first.workDir, 'status');
    const second = await fx.port.prepare(fx.prepareInput());
    expect(second.workDir).toBe(first.workDir);
    expect((await fx.ctx.git(second.workDir, 'status', '--porcelain')).trim()).toBe('');
  });

  it('says git could not be started when the git binary is missing', async () => {
    const missing = await createFixture({ gitBinary: join(fx.ctx.root, 'no-such-git') });
    try {
      const error = await missing.port.prepare(missing.prepareInput()).catch((e: unknown) => e);
      expect(isCoordError(error) && error.code).toBe('git.clone_failed');
      expect((error as Error).message).toContain('git could not be started');
    } finally {
      await missing.cleanup();
    }
  });

  it('releases a work tree it made, and nothing outside its workspace dir', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    const outside = join(fx.ctx.root, 'not-a-work-tree');
    await mkdir(outside);
    await fx.port.release(outside);
    await fx.port.release(join(fx.ctx.workspaceDir, '..', 'not-a-work-tree'));
    await expect(readdir(outside)).resolves.toEqual([]);
    await fx.port.release(ws.workDir);
    await expect(readdir(join(fx.ctx.workspaceDir, jobId))).rejects.toThrow(/ENOENT/);
  });

  it('fails clearly on an empty repository', async () => {
    const empty = join(fx.ctx.root, 'origin', 'empty.git');
    await fx.ctx.git(fx.ctx.root, 'init', '--quiet', '--bare', empty);
    const error = await fx.port
      .prepare(fx.prepareInput({ repository: { cloneUrl: `file://${empty}` } }))
      .catch((e: unknown) => e);
    expect(isCoordError(error) && error.code).toBe('git.invalid_branch');
    expect((error as Error).message).toMatch(/no default branch/);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await fx.port
      .prepare(fx.prepareInput({ signal: controller.signal }))
      .catch((e: unknown) => e);
    expect(isCoordError(error) && error.code).toBe('job.cancelled');
  });

  it('logs progress without the token', async () => {
    await fx.port.prepare(fx.prepareInput());
    expect(fx.logs.join('\n')).toMatch(/Creating mirror of acme\/widgets/);
    expect(fx.logs.join('\n')).toMatch(/Work tree ready in \d+ ms/);
    expect(fx.logs.join('\n')).not.toContain(fx.forge.token);
  });
});
