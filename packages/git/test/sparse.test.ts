import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkedOutFiles } from './helpers/files.js';
import { createFixture, type Fixture } from './workspace-fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
  await fx.origin.commit('main', {
    'app/main.ts': 'app\n',
    'app/sub/deep.ts': 'deep\n',
    'lib/util.ts': 'util\n',
    'docs/guide.md': 'guide\n',
  });
});
afterEach(async () => {
  await fx.cleanup();
});

describe('sparse checkout', () => {
  it('writes only the directories the job names and the top-level files', async () => {
    const ws = await fx.port.prepare(fx.prepareInput({ repository: { sparse: ['app'] } }));
    expect(await checkedOutFiles(ws.workDir)).toEqual(['README.md', 'app/main.ts', 'app/sub/deep.ts']);
    expect((await fx.ctx.git(ws.workDir, 'status', '--porcelain')).trim()).toBe('');
    expect(fx.logs).toContain('Sparse checkout of app');
  });

  it('checks out a nested directory (with the files of the directories above it, as cone mode does), and a whole tree without `sparse`', async () => {
    const nested = await fx.port.prepare(
      fx.prepareInput({ job: { id: 'job_nested00001' }, repository: { sparse: ['app/sub', 'docs'] } }),
    );
    expect(await checkedOutFiles(nested.workDir)).toEqual([
      'README.md',
      'app/main.ts',
      'app/sub/deep.ts',
      'docs/guide.md',
    ]);
    const full = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_full000001' } }));
    expect(await checkedOutFiles(full.workDir)).toEqual([
      'README.md',
      'app/main.ts',
      'app/sub/deep.ts',
      'docs/guide.md',
      'lib/util.ts',
    ]);
  });

  it('commits and pushes the changes, outside the cone too, and keeps every file it did not check out', async () => {
    const repository = { ...fx.repository, sparse: ['app'] };
    const ws = await fx.port.prepare(fx.prepareInput({ repository }));
    await writeFile(join(ws.workDir, 'app', 'main.ts'), 'app, fixed\n');
    await writeFile(join(ws.workDir, 'app', 'new.ts'), 'new\n');
    // An agent may still create a file in a directory it was not given.
    await writeFile(join(ws.workDir, 'NOTES.md'), 'notes\n');
    await mkdir(join(ws.workDir, 'lib', 'extra'), { recursive: true });
    await writeFile(join(ws.workDir, 'lib', 'extra', 'added.ts'), 'added\n');

    const result = await fx.port.publish(fx.publishInput(ws, { repository }));
    expect(result.kind).toBe('pull_request');
    if (result.kind !== 'pull_request') return;
    expect(result.filesChanged).toBe(4);
    expect(await fx.origin.tip(ws.branch)).toBe(result.commit);

    const tree = (await fx.ctx.git(fx.origin.dir, 'ls-tree', '-r', '--name-only', result.commit))
      .trim()
      .split('\n');
    expect(tree.sort()).toEqual([
      'NOTES.md',
      'README.md',
      'app/main.ts',
      'app/new.ts',
      'app/sub/deep.ts',
      'docs/guide.md',
      'lib/extra/added.ts',
      'lib/util.ts',
    ]);
    expect(await fx.ctx.git(fx.origin.dir, 'show', `${result.commit}:lib/util.ts`)).toBe('util\n');
    expect(await fx.ctx.git(fx.origin.dir, 'show', `${result.commit}:app/main.ts`)).toBe('app, fixed\n');
    // The tree stays sparse after publishing (its config was rewritten with the sparse settings).
    await expect(readFile(join(ws.workDir, 'docs', 'guide.md'))).rejects.toThrow(/ENOENT/);
  });
});
