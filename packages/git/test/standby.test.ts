import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepositoryWorkspaces, pruneRepositoryDisk, standbyDir } from '../src/index.js';
import { checkedOutFiles } from './helpers/files.js';
import { createGitRecorder } from './helpers/git-recorder.js';
import { caught, createFixture, type Fixture } from './workspace-fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
  await fx.origin.commit('main', {
    '.gitignore': '*.log\nbuild/\n',
    'app/main.ts': 'app\n',
    'app/sub/deep.ts': 'deep\n',
    'lib/util.ts': 'util\n',
  });
});
afterEach(async () => {
  await fx.cleanup();
});

const dirs = () => ({ mirrorsDir: fx.ctx.mirrorsDir, workspaceDir: fx.ctx.workspaceDir });

/** The one standby work tree (there is one repository in these tests). */
async function standbyPath(): Promise<string> {
  const names = await readdir(standbyDir(dirs()));
  expect(names).toHaveLength(1);
  return join(standbyDir(dirs()), names[0]!);
}

const refs = (dir: string) => fx.ctx.git(dir, 'for-each-ref', '--format=%(objectname) %(refname) %(symref)');
const took = () => fx.logs.filter((line) => line.startsWith('Took the standby work tree'));

describe('standby work trees', () => {
  it.skipIf(process.platform === 'win32')(
    "makes the standby at low CPU priority, and the job's own git at the runner's",
    async () => {
      const rec = await createGitRecorder(fx.ctx.root);
      const port = createRepositoryWorkspaces({
        workspaceDir: fx.ctx.workspaceDir,
        mirrorsDir: fx.ctx.mirrorsDir,
        allowFileRemotes: true,
        environment: fx.ctx.env,
        gitBinary: rec.binary,
      });
      const ws = await port.prepare(fx.prepareInput());
      await port.idle();
      const calls = await rec.calls();
      const standby = calls.filter((call) => call.cwd.startsWith(standbyDir(dirs())));
      const job = calls.filter((call) => call.cwd.startsWith(ws.workDir));
      expect(standby.length).toBeGreaterThan(0);
      expect(job.length).toBeGreaterThan(0);
      const own = job[0]!.nice;
      expect(job.every((call) => call.nice === own)).toBe(true);
      expect(standby.every((call) => call.nice === Math.min(own + 10, 19))).toBe(true);
    },
  );

  it("the next job takes the standby: only the files that changed are written, and its .git is a fresh clone's", async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await fx.port.idle();
    const standby = await standbyPath();
    const unchangedInode = (await stat(join(standby, 'lib', 'util.ts'))).ino;
    const moved = await fx.origin.commit('main', { 'app/main.ts': 'app, changed\n', 'NEW.md': 'new\n' });
    await fx.origin.commit('develop', { 'dev.txt': 'dev\n' });
    await fx.ctx.git(fx.origin.dir, 'tag', 'v2', 'main');

    fx.logs.length = 0;
    const ws = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    expect(took()).toHaveLength(1);
    expect(ws.baseCommit).toBe(moved);
    expect((await fx.ctx.git(ws.workDir, 'rev-parse', 'HEAD')).trim()).toBe(moved);
    expect((await fx.ctx.git(ws.workDir, 'symbolic-ref', 'HEAD')).trim()).toBe(`refs/heads/${ws.branch}`);
    expect(await fx.ctx.git(ws.workDir, 'status', '--porcelain', '--ignored')).toBe('');
    expect(await readFile(join(ws.workDir, 'app', 'main.ts'), 'utf8')).toBe('app, changed\n');
    expect(await readFile(join(ws.workDir, 'NEW.md'), 'utf8')).toBe('new\n');
    // The file that did not change is the very one the standby had checked out: not written again.
    expect((await stat(join(ws.workDir, 'lib', 'util.ts'))).ino).toBe(unchangedInode);

    // Refs (origin's moved branches, the new tag) and config are what a job without a standby gets.
    const plain = createRepositoryWorkspaces({
      workspaceDir: join(fx.ctx.root, 'plain-work'),
      mirrorsDir: fx.ctx.mirrorsDir,
      allowFileRemotes: true,
      environment: fx.ctx.env,
      standbyWorkTrees: false,
    });
    const reference = await plain.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    expect(await refs(ws.workDir)).toBe(await refs(reference.workDir));
    expect(await checkedOutFiles(ws.workDir)).toEqual(await checkedOutFiles(reference.workDir));
    const config = (dir: string) =>
      readFile(join(dir, '.git', 'config'), 'utf8').then((text) =>
        text.replace(join(fx.ctx.root, 'plain-work'), fx.ctx.workspaceDir),
      );
    expect(await config(ws.workDir)).toBe(await config(reference.workDir));
    await expect(readdir(join(fx.ctx.root, 'plain-work', '.coord-standby'))).rejects.toThrow(/ENOENT/);

    // And a new standby is made for the job after it.
    await fx.port.idle();
    expect(await checkedOutFiles(await standbyPath())).toEqual(await checkedOutFiles(ws.workDir));
  });

  it('a standby someone wrote into gives the job none of it: untracked, ignored and edited files, hooks, config, refs', async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await fx.port.idle();
    const standby = await standbyPath();
    const marker = join(fx.ctx.root, 'hook-ran');
    await writeFile(join(standby, 'untracked.txt'), 'left over\n');
    await writeFile(join(standby, 'debug.log'), 'ignored\n');
    await mkdir(join(standby, 'build'), { recursive: true });
    await writeFile(join(standby, 'build', 'out.js'), 'ignored too\n');
    await writeFile(join(standby, 'lib', 'util.ts'), 'edited\n');
    await rm(join(standby, 'app', 'sub', 'deep.ts'));
    await fx.ctx.git(standby, 'init', '--quiet', 'app/nested-repo');
    await fx.ctx.git(standby, 'config', 'core.hooksPath', join(standby, 'my-hooks'));
    await fx.ctx.git(standby, 'config', 'alias.checkout', '!touch pwned');
    await fx.ctx.git(standby, 'update-ref', 'refs/heads/planted', (await fx.origin.tip('main'))!);
    await writeFile(join(standby, '.git', 'info', 'exclude'), 'untracked.txt\n');
    for (const dir of [join(standby, '.git', 'hooks'), join(standby, 'my-hooks')]) {
      await mkdir(dir, { recursive: true });
      for (const hook of ['post-checkout', 'reference-transaction']) {
        await writeFile(join(dir, hook), `#!/bin/sh\necho ran >> '${marker}'\n`);
        await chmod(join(dir, hook), 0o755);
      }
    }

    fx.logs.length = 0;
    const ws = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    expect(took()).toHaveLength(1);
    expect(await checkedOutFiles(ws.workDir)).toEqual([
      '.gitignore',
      'README.md',
      'app/main.ts',
      'app/sub/deep.ts',
      'lib/util.ts',
    ]);
    expect(await readFile(join(ws.workDir, 'lib', 'util.ts'), 'utf8')).toBe('util\n');
    expect(await fx.ctx.git(ws.workDir, 'status', '--porcelain', '--ignored')).toBe('');
    expect(await fx.ctx.git(ws.workDir, 'for-each-ref', '--format=%(refname)', 'refs/heads')).toBe(
      `refs/heads/${ws.branch}\nrefs/heads/main\n`,
    );
    await expect(fx.ctx.git(ws.workDir, 'config', '--get', 'alias.checkout')).rejects.toThrow();
    expect((await fx.ctx.git(ws.workDir, 'config', '--get', 'core.hooksPath')).trim()).not.toContain(standby);
    expect(await readFile(join(ws.workDir, '.git', 'info', 'exclude'), 'utf8')).not.toContain(
      'untracked.txt',
    );
    await expect(readdir(join(ws.workDir, '.git', 'hooks'))).resolves.not.toContain('reference-transaction');
    await expect(readFile(marker, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it("a job's own tree is never recycled: what an earlier job left reaches neither the standby nor the next job", async () => {
    const a = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await writeFile(join(a.workDir, 'secret-notes.txt'), 'a\n');
    await writeFile(join(a.workDir, 'agent.log'), 'a\n');
    await fx.ctx.git(a.workDir, 'config', 'user.name', 'Job A');
    await fx.port.release(a.workDir);
    await fx.port.idle();
    const b = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    expect(took()).toHaveLength(1);
    expect(await checkedOutFiles(b.workDir)).not.toContain('secret-notes.txt');
    expect(await checkedOutFiles(b.workDir)).not.toContain('agent.log');
    await expect(fx.ctx.git(b.workDir, 'config', '--get', 'user.name')).rejects.toThrow();
  });

  it('a sparse job gets its cone from a clone and leaves the standby for the next full job', async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await fx.port.idle();
    fx.logs.length = 0;
    const sparse = await fx.port.prepare(
      fx.prepareInput({ job: { id: 'job_sparse0001' }, repository: { sparse: ['app'] } }),
    );
    expect(took()).toHaveLength(0);
    expect(await checkedOutFiles(sparse.workDir)).toEqual([
      '.gitignore',
      'README.md',
      'app/main.ts',
      'app/sub/deep.ts',
    ]);
    const full = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_full000001' } }));
    expect(took()).toHaveLength(1);
    expect(await checkedOutFiles(full.workDir)).toContain('lib/util.ts');
    expect(await fx.ctx.git(full.workDir, 'config', '--get', 'core.sparseCheckout').catch(() => '')).toBe('');
  });

  it('two jobs at once: one takes the standby, the other clones, and each gets a tree of its own', async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    // No idle(): the standby is still being made, and the jobs wait for it rather than check out beside it.
    fx.logs.length = 0;
    const [b, c] = await Promise.all([
      fx.port.prepare(fx.prepareInput({ job: { id: 'job_concur0001' } })),
      fx.port.prepare(fx.prepareInput({ job: { id: 'job_concur0002' } })),
    ]);
    expect(took()).toHaveLength(1);
    expect(fx.logs.filter((line) => /^Cloned acme\/widgets from the mirror/.test(line))).toHaveLength(1);
    expect(b.workDir).not.toBe(c.workDir);
    for (const ws of [b, c]) {
      expect(await fx.ctx.git(ws.workDir, 'status', '--porcelain', '--ignored')).toBe('');
      expect((await fx.ctx.git(ws.workDir, 'rev-parse', 'HEAD')).trim()).toBe(await fx.origin.tip('main'));
    }
  });

  it('a standby that cannot be brought to the commit is dropped, and the job clones instead', async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await fx.port.idle();
    await rm(join(await standbyPath(), '.git', 'index'));
    fx.logs.length = 0;
    const ws = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    expect(fx.logs.some((line) => line.startsWith('The standby work tree could not be used'))).toBe(true);
    expect(fx.logs.filter((line) => /^Cloned acme\/widgets from the mirror/.test(line))).toHaveLength(1);
    expect(await fx.ctx.git(ws.workDir, 'status', '--porcelain', '--ignored')).toBe('');
  });

  it('a job cancelled while it waits for the standby being made stops at once', async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    const controller = new AbortController();
    const input = fx.prepareInput({ job: { id: 'job_second0001' }, signal: controller.signal });
    const error = await caught(
      fx.port.prepare({
        ...input,
        log: (message) => {
          fx.logs.push(message);
          if (message.startsWith('Waiting for the standby')) setImmediate(() => controller.abort());
        },
      }),
    );
    expect(error.code).toBe('job.cancelled');
    expect(fx.logs.some((line) => line.startsWith('Waited'))).toBe(false);
  });

  it('a standby that could not be made is told to the next job, which clones', async () => {
    // A file where the standbys' directory should be: making one fails.
    await mkdir(fx.ctx.workspaceDir, { recursive: true });
    await writeFile(standbyDir(dirs()), 'not a directory\n');
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await fx.port.idle();
    fx.logs.length = 0;
    const ws = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    expect(
      fx.logs.some((line) =>
        /^The last standby work tree of acme\/widgets could not be made: .*EEXIST/.test(line),
      ),
    ).toBe(true);
    expect(took()).toHaveLength(0);
    expect(await fx.ctx.git(ws.workDir, 'status', '--porcelain', '--ignored')).toBe('');
  });

  it('a runner that stops ends the standby being made, leaves nothing half-made, and makes no more', async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await fx.port.stopBackground();
    expect(await readdir(standbyDir(dirs())).catch(() => [])).toEqual([]);
    const ws = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    await fx.port.idle();
    expect(await fx.ctx.git(ws.workDir, 'status', '--porcelain', '--ignored')).toBe('');
    expect(await readdir(standbyDir(dirs())).catch(() => [])).toEqual([]);
  });

  it('turned off, no standby is made, and pruning removes the ones an earlier run left', async () => {
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_first00001' } }));
    await fx.port.idle();
    const left = await standbyPath();
    const off = createRepositoryWorkspaces({
      workspaceDir: fx.ctx.workspaceDir,
      mirrorsDir: fx.ctx.mirrorsDir,
      allowFileRemotes: true,
      environment: fx.ctx.env,
      standbyWorkTrees: false,
    });
    fx.logs.length = 0;
    await off.prepare(fx.prepareInput({ job: { id: 'job_second0001' } }));
    expect(took()).toHaveLength(0);
    const pruned = await off.pruneDisk();
    expect(pruned.removedStandbys).toEqual([left]);
    expect(pruned.removedMirrors).toEqual([]);
    expect(await readdir(standbyDir(dirs()))).toEqual([]);
    // Left alone by a runner that keeps them, whatever the retention.
    await fx.port.prepare(fx.prepareInput({ job: { id: 'job_third00001' } }));
    await fx.port.idle();
    const kept = await pruneRepositoryDisk(dirs(), { mirrorRetentionDays: 30, workTreeRetentionDays: 0 });
    expect(kept.removedStandbys).toEqual([]);
  });
});
