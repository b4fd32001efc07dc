import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathRefusedError, prepareWritePath } from './safe-path.js';

let base: string;
let work: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'coord-safe-path-'));
  work = path.join(base, 'work');
  await mkdir(work);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('prepareWritePath', () => {
  it('creates parent directories for a path inside the work dir', async () => {
    const target = await prepareWritePath(work, 'a/b/c.txt');
    await writeFile(target, 'x');
    expect(path.relative(work, target).split(path.sep)).toEqual(['a', 'b', 'c.txt']);
  });

  it('refuses .. escapes and absolute paths', async () => {
    await expect(prepareWritePath(work, '../evil.txt')).rejects.toBeInstanceOf(PathRefusedError);
    await expect(prepareWritePath(work, 'a/../../evil.txt')).rejects.toBeInstanceOf(PathRefusedError);
    await expect(prepareWritePath(work, path.join(base, 'evil.txt'))).rejects.toBeInstanceOf(
      PathRefusedError,
    );
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a symlinked directory or file that leads outside',
    async () => {
      await symlink(base, path.join(work, 'link'));
      await expect(prepareWritePath(work, 'link/evil.txt')).rejects.toThrow(/outside the work directory/);
      await symlink(path.join(base, 'nowhere.txt'), path.join(work, 'dangling'));
      await expect(prepareWritePath(work, 'dangling')).rejects.toBeInstanceOf(PathRefusedError);
    },
  );
});
