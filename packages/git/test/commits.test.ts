import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFixture, jobId, type Fixture, caught } from './workspace-fixture.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

describe('the commit an attempt makes', () => {
  it('is by the configured author, credits the submitter as co-author, and carries the agent summary', async () => {
    fx = await createFixture({ author: { name: 'Acme Bot', email: 'bot@acme.example' } });
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const input = fx.publishInput(ws, { summary: 'Made the widget test wait for the render.' });
    await fx.port.publish({
      ...input,
      job: { ...input.job, submitter: { name: 'Grace Hopper', email: 'grace@acme.example' } },
    });
    const log = await fx.ctx.git(fx.origin.dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>%n%B', ws.branch);
    expect(log).toBe(
      'Acme Bot <bot@acme.example>|Acme Bot <bot@acme.example>\n' +
        'Fix the flaky widget test\n\nMade the widget test wait for the render.\n\n' +
        `Coord-Job: ${jobId}\nCoord-Attempt: 1\nCo-authored-by: Grace Hopper <grace@acme.example>\n\n`,
    );
    const trailers = await fx.ctx.git(
      fx.origin.dir,
      'log',
      '-1',
      '--format=%(trailers:key=Co-authored-by,valueonly)',
      ws.branch,
    );
    expect(trailers.trim()).toBe('Grace Hopper <grace@acme.example>');
  });

  it('leaves ignored files out (the repository\u2019s .gitignore, nested ones, and info/exclude)', async () => {
    fx = await createFixture();
    await fx.origin.commit('main', { '.gitignore': 'dist/\n*.log\n', 'pkg/.gitignore': 'cache/\n' });
    const ws = await fx.port.prepare(fx.prepareInput());
    await mkdir(join(ws.workDir, 'dist'));
    await writeFile(join(ws.workDir, 'dist', 'bundle.js'), 'built\n');
    await writeFile(join(ws.workDir, 'debug.log'), 'noise\n');
    await mkdir(join(ws.workDir, 'pkg', 'cache'), { recursive: true });
    await writeFile(join(ws.workDir, 'pkg', 'cache', 'x'), 'cached\n');
    await writeFile(join(ws.workDir, '.git', 'info', 'exclude'), 'scratch.txt\n');
    await writeFile(join(ws.workDir, 'scratch.txt'), 'notes\n');
    await writeFile(join(ws.workDir, 'src.ts'), 'export {};\n');
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result).toMatchObject({ kind: 'pull_request', filesChanged: 1 });
    const files = await fx.ctx.git(fx.origin.dir, 'diff', '--name-only', ws.baseCommit, ws.branch);
    expect(files.trim().split('\n')).toEqual(['src.ts']);
  });

  it('is not pushed when it adds a file over the size limit, and the message names each one', async () => {
    fx = await createFixture({ maxFileBytes: 1024 });
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'model.bin'), Buffer.alloc(300 * 1024, 1));
    await mkdir(join(ws.workDir, 'data'));
    await writeFile(join(ws.workDir, 'data', 'dump.csv'), 'x,'.repeat(2048));
    await writeFile(join(ws.workDir, 'small.txt'), 'fine\n');
    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error.code).toBe('git.file_too_large');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`Refusing to push ${ws.branch}: 2 files are larger than the 1 KB limit`);
    expect(error.message).toContain('model.bin (300 KB), data/dump.csv (4 KB)');
    expect(error.message).toContain('.gitignore');
    expect(error.details).toMatchObject({
      files: [
        { path: 'model.bin', bytes: 300 * 1024 },
        { path: 'data/dump.csv', bytes: 4096 },
      ],
    });
    expect(await fx.origin.tip(ws.branch)).toBeNull();
    expect(fx.api.requests).toHaveLength(0);
  });

  it('does not hold a large file the repository already had against the attempt', async () => {
    fx = await createFixture({ maxFileBytes: 1024 });
    await fx.origin.commit('main', { 'fixtures/big.json': '0'.repeat(4096) });
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result.kind).toBe('pull_request');
  });
});
