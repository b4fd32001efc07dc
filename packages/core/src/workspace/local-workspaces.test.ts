import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCoordError, type CoordError } from '../errors.js';
import { createLocalWorkspaces, type LocalWorkspacesOptions } from './local-workspaces.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'coord-local-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const attempt = {
  id: 'att_1',
  jobId: 'job_1',
  workspaceId: 'ws',
  number: 1,
  leaseExpiresAt: new Date().toISOString(),
  previousSessionId: null,
  branch: null,
};

async function workDir(options: Partial<LocalWorkspacesOptions> = {}) {
  const port = createLocalWorkspaces({ root: join(root, 'work'), ...options });
  const { workDir: dir } = await port.prepare({ job: { id: 'job_1' }, attempt });
  return { port, dir };
}

async function refusal(promise: Promise<unknown>): Promise<CoordError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isCoordError(error)) throw new Error(`expected a CoordError, got ${String(error)}`);
  return error;
}

describe('local outputs', () => {
  it('are the regular files of the declared outputs folder, named relative to it', async () => {
    const { port, dir } = await workDir();
    await mkdir(join(dir, 'out', 'charts'), { recursive: true });
    await writeFile(join(dir, 'out', 'report.md'), '# Report\n');
    await writeFile(join(dir, 'out', 'charts', 'a.svg'), '<svg/>');
    await writeFile(join(dir, 'scratch.txt'), 'not an output');
    const files = await port.collectOutputs(dir, { outputs: 'out' });
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['charts/a.svg', 6],
      ['report.md', 9],
    ]);
    expect(Buffer.from(await files[1]!.read()).toString()).toBe('# Report\n');
    // Without a folder, the whole work directory; a folder the agent never made, none.
    expect((await port.collectOutputs(dir)).map((f) => f.path)).toEqual([
      'out/charts/a.svg',
      'out/report.md',
      'scratch.txt',
    ]);
    expect(await port.collectOutputs(dir, { outputs: 'missing' })).toEqual([]);
  });

  it('refuses an outputs folder that traverses out of the work directory', async () => {
    const { port, dir } = await workDir();
    for (const outputs of ['../..', '../attempt-2', '/etc']) {
      const error = await refusal(port.collectOutputs(dir, { outputs }));
      expect(error).toMatchObject({ code: 'artifact.refused', retryable: false });
      expect(error.message).toContain('is outside the work directory');
    }
  });

  it('refuses, by name, links that lead outside the work directory, and skips ones that stay inside', async () => {
    const { port, dir } = await workDir();
    const secret = join(root, 'secret.txt');
    await writeFile(secret, 'private');
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out', 'real.txt'), 'real');
    await symlink('real.txt', join(dir, 'out', 'alias.txt'));
    expect((await port.collectOutputs(dir, { outputs: 'out' })).map((f) => f.path)).toEqual(['real.txt']);

    await symlink(secret, join(dir, 'out', 'leak.txt'));
    await symlink('../../../../secret.txt', join(dir, 'out', 'relative-leak.txt'));
    const error = await refusal(port.collectOutputs(dir, { outputs: 'out' }));
    expect(error.code).toBe('artifact.refused');
    expect(error.message).toContain(
      'leak.txt, relative-leak.txt are links leading outside the work directory',
    );
    expect(error.details).toEqual({ links: ['leak.txt', 'relative-leak.txt'] });
  });

  it('refuses an outputs folder that is itself a link out of the work directory', async () => {
    const { port, dir } = await workDir();
    await mkdir(join(root, 'elsewhere'));
    await writeFile(join(root, 'elsewhere', 'x'), 'x');
    await symlink(join(root, 'elsewhere'), join(dir, 'out'));
    const error = await refusal(port.collectOutputs(dir, { outputs: 'out' }));
    expect(error.message).toContain('"out" is a link that leads outside the work directory');
  });

  it('refuses outputs over the count, file size and total size limits, saying which limit', async () => {
    const many = await workDir({ maxFiles: 2 });
    for (const name of ['a', 'b', 'c']) await writeFile(join(many.dir, name), name);
    expect((await refusal(many.port.collectOutputs(many.dir))).message).toContain(
      'the attempt left more than the 2 files allowed',
    );

    await rm(join(root, 'work'), { recursive: true });
    const big = await workDir({ maxFileBytes: 10 });
    await writeFile(join(big.dir, 'big.bin'), Buffer.alloc(11));
    await writeFile(join(big.dir, 'ok.txt'), 'ok');
    const error = await refusal(big.port.collectOutputs(big.dir));
    expect(error.message).toContain('big.bin (11 bytes) is larger than the 10 bytes a file may have');

    await rm(join(root, 'work'), { recursive: true });
    const total = await workDir({ maxTotalBytes: 15 });
    await writeFile(join(total.dir, 'a'), Buffer.alloc(8));
    await writeFile(join(total.dir, 'b'), Buffer.alloc(8));
    expect((await refusal(total.port.collectOutputs(total.dir))).message).toContain(
      'together they are 16 bytes, more than the 15 allowed',
    );
  });

  it('stops walking one file past the count limit, however large the tree', async () => {
    const many = await workDir({ maxFiles: 3 });
    for (let d = 0; d < 20; d++) {
      await mkdir(join(many.dir, `dir-${d}`));
      for (let f = 0; f < 20; f++) await writeFile(join(many.dir, `dir-${d}`, `f-${f}`), 'x');
    }
    const error = await refusal(many.port.collectOutputs(many.dir));
    expect(error.message).toContain('the attempt left more than the 3 files allowed');
    expect(error.details).toEqual({ maxFiles: 3 });
  });

  it('release removes an empty work dir, a full one, and the job dir once empty, and nothing outside its root', async () => {
    const port = createLocalWorkspaces({ root: join(root, 'work') });
    const empty = (await port.prepare({ job: { id: 'job_1' }, attempt })).workDir;
    const full = (await port.prepare({ job: { id: 'job_1' }, attempt: { ...attempt, number: 2 } })).workDir;
    await mkdir(join(full, 'out', 'deep'), { recursive: true });
    await writeFile(join(full, 'out', 'deep', 'report.md'), 'report');

    await port.release(empty);
    expect(existsSync(empty)).toBe(false);
    expect(existsSync(join(root, 'work', 'job_1'))).toBe(true); // attempt 2 is still there
    await port.release(full);
    expect(existsSync(join(root, 'work', 'job_1'))).toBe(false);
    await port.release(full); // already gone: nothing to do, no error

    const outside = join(root, 'elsewhere');
    await mkdir(outside);
    await port.release(outside);
    expect(existsSync(outside)).toBe(true);
  });
});
