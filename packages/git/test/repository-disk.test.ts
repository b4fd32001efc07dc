import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneRepositoryDisk, repositoryDiskUsage, standbyDir } from '../src/index.js';
import { createFixture, type Fixture } from './workspace-fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const DAY = 86_400_000;
const dirs = () => ({ mirrorsDir: fx.ctx.mirrorsDir, workspaceDir: fx.ctx.workspaceDir });
const mirrors = async () =>
  (await readdir(fx.ctx.mirrorsDir)).filter((name) => name.endsWith('.git') && !name.includes('.removing'));

describe('disk usage of mirrors and work trees', () => {
  it('reports each mirror and work tree with its size and age', async () => {
    const a = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_disk_a' } }));
    const b = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_disk_b' } }));
    await writeFile(join(b.workDir, 'big.bin'), Buffer.alloc(300_000, 1));
    await fx.port.idle();

    const usage = await repositoryDiskUsage(dirs());
    expect(usage.mirrors).toHaveLength(1);
    expect(usage.mirrors[0]!.path).toBe(join(fx.ctx.mirrorsDir, (await mirrors())[0]!));
    expect(usage.mirrors[0]!.bytes).toBeGreaterThan(0);
    expect(Date.now() - usage.mirrors[0]!.lastUsedAt.getTime()).toBeLessThan(60_000);
    const trees = new Map(usage.workTrees.map((tree) => [tree.path, tree.bytes]));
    expect([...trees.keys()].sort()).toEqual([a.workDir, b.workDir].sort());
    // The tree borrows the mirror's objects: it is small, and the file the agent wrote is counted.
    expect(trees.get(b.workDir)! - trees.get(a.workDir)!).toBe(300_000);
    // The next job's checked-out tree, waiting beside them, is counted too: as large as a job's,
    // give or take the reflog lines of the job's branch.
    expect(usage.standbys.map((standby) => standby.path)).toEqual([
      join(standbyDir(dirs()), (await mirrors())[0]!.replace(/\.git$/, '')),
    ]);
    expect(Math.abs(usage.standbys[0]!.bytes - trees.get(a.workDir)!)).toBeLessThan(1024);
  });
});

describe('retention', () => {
  it('keeps what is recent or in use, and removes stale work trees and then mirrors nobody borrows from', async () => {
    const kept = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_keep0001' } }));
    const stale = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_stale0001' } }));
    await fx.port.idle();
    const policy = { mirrorRetentionDays: 30, workTreeRetentionDays: 7 };

    // Today nothing is old enough.
    const today = await pruneRepositoryDisk(dirs(), policy);
    expect(today).toEqual({ removedMirrors: [], removedWorkTrees: [], removedStandbys: [], freedBytes: 0 });

    // Forty days on: the stale tree goes; the one in use stays, and so does the mirror it borrows from.
    const later = Date.now() + 40 * DAY;
    const first = await pruneRepositoryDisk(dirs(), policy, { now: later, inUse: new Set([kept.workDir]) });
    expect(first.removedWorkTrees).toEqual([stale.workDir]);
    expect(first.removedMirrors).toEqual([]);
    expect(first.freedBytes).toBeGreaterThan(0);
    await expect(readdir(join(fx.ctx.workspaceDir, 'job_stale0001'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(kept.workDir, 'README.md'), 'utf8')).toBe('# Widgets\n');
    expect(await mirrors()).toHaveLength(1);

    // Once that tree is gone too, the unused mirror is removed, whole.
    const second = await pruneRepositoryDisk(dirs(), policy, { now: later });
    expect(second.removedWorkTrees).toEqual([kept.workDir]);
    expect(second.removedMirrors).toHaveLength(1);
    // The standby borrowed that mirror's objects: it goes with it.
    expect(second.removedStandbys).toHaveLength(1);
    expect(await readdir(fx.ctx.mirrorsDir)).toEqual([]);
    expect(await readdir(standbyDir(dirs()))).toEqual([]);

    // The next job makes the mirror again.
    fx.logs.length = 0;
    const again = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_after0001' } }));
    expect(fx.logs.some((line) => line.startsWith('Creating mirror of acme/widgets'))).toBe(true);
    expect(again.baseCommit).toBe(await fx.origin.tip('main'));
  });

  it('removes the fresh clone a crash left while a job took the standby, once it is an hour old', async () => {
    const ws = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_crash0001' } }));
    await fx.port.idle();
    const leftover = `${ws.workDir}.claim-0a1b2c3d`;
    await mkdir(join(leftover, '.git'), { recursive: true });
    await writeFile(join(leftover, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const policy = { mirrorRetentionDays: 30, workTreeRetentionDays: 14 };
    // A job may be taking one right now: a recent one stays.
    expect(
      (await pruneRepositoryDisk(dirs(), policy, { inUse: new Set([ws.workDir]) })).removedStandbys,
    ).toEqual([]);
    const pruned = await pruneRepositoryDisk(dirs(), policy, {
      now: Date.now() + 2 * 3_600_000,
      inUse: new Set([ws.workDir]),
    });
    expect(pruned.removedStandbys).toEqual([leftover]);
    expect(pruned.removedWorkTrees).toEqual([]);
    expect(await readdir(join(fx.ctx.workspaceDir, 'job_crash0001'))).toEqual(['attempt-1']);
  });

  it('a mirror a job used recently is kept even when its work trees are stale', async () => {
    const ws = await fx.port.prepare(fx.prepareInput());
    const result = await pruneRepositoryDisk(
      dirs(),
      { mirrorRetentionDays: 30, workTreeRetentionDays: 1 },
      { now: Date.now() + 2 * DAY },
    );
    expect(result.removedWorkTrees).toEqual([ws.workDir]);
    expect(result.removedMirrors).toEqual([]);
    expect(await mirrors()).toHaveLength(1);
  });

  it("the port's own sweep never removes the work tree of an attempt it prepared and has not released", async () => {
    const port = fx.port as typeof fx.port & {
      pruneDisk(policy: { mirrorRetentionDays: number; workTreeRetentionDays: number }): Promise<unknown>;
    };
    const live = await port.prepare(fx.prepareInput({ job: { id: 'job_live0001' } }));
    const done = await port.prepare(fx.prepareInput({ job: { id: 'job_done0001' } }));
    await port.release(done.workDir);
    await fx.port.idle();
    await port.pruneDisk({ mirrorRetentionDays: 0, workTreeRetentionDays: 0 });
    expect(await readFile(join(live.workDir, 'README.md'), 'utf8')).toBe('# Widgets\n');
    expect(await mirrors()).toHaveLength(1);
    expect((await fx.ctx.git(live.workDir, 'status', '--porcelain')).trim()).toBe('');
  });
});
