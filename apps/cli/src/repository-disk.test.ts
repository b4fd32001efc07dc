import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { repositoryDisk } from './commands/doctor-actions.js';
import { composeRunner, gitOptionsFrom, repositoryDirs, retentionFrom } from './compose.js';
import { readConfig } from './config.js';
import { setSetting } from './settings.js';

/** A state dir with one real bare mirror and one work tree, as the runner lays them out. */
function stateWithRepositories() {
  const stateDir = mkdtempSync(join(tmpdir(), 'cli-repo-disk-'));
  const dirs = repositoryDirs(stateDir);
  const mirror = join(dirs.mirrorsDir, 'acme-widgets-0123456789abcdef.git');
  execFileSync('git', ['init', '--quiet', '--bare', mirror]);
  writeFileSync(join(mirror, 'objects', 'blob'), Buffer.alloc(2 * 1024 * 1024, 7));
  const tree = join(dirs.workspaceDir, 'job_failed0001', 'attempt-1');
  mkdirSync(join(tree, '.git'), { recursive: true });
  writeFileSync(join(tree, 'notes.txt'), Buffer.alloc(1024 * 1024, 1));
  const standby = join(dirs.workspaceDir, '.coord-standby', 'acme-widgets-0123456789abcdef');
  mkdirSync(join(standby, '.git'), { recursive: true });
  writeFileSync(join(standby, 'app.ts'), Buffer.alloc(3 * 1024 * 1024, 2));
  return { stateDir, mirror, tree, standby };
}

describe('repository disk in doctor', () => {
  it('lists each mirror and work tree with its size and the retention the settings give', async () => {
    const { stateDir } = stateWithRepositories();
    setSetting(stateDir, 'git.mirrorRetentionDays', '3');
    const checks = await repositoryDisk(stateDir, readConfig(stateDir));
    const byName = new Map(checks.map((c) => [c.check, c]));
    expect(byName.get('mirrors')?.detail).toMatch(
      /^1 \(2\.\d MiB\); .* 3 days .*\(git\.mirrorRetentionDays\)$/,
    );
    expect(byName.get('  mirror acme-widgets-0123456789abcdef.git')?.detail).toMatch(
      /^2\.\d MiB, last used \d{4}-\d\d-\d\d$/,
    );
    expect(byName.get('work trees')?.detail).toMatch(
      /^1 \(1\.0 MiB\); .* 14 days \(git\.keepFailedWorkTreesDays\)$/,
    );
    expect(byName.get('  work tree job_failed0001/attempt-1')?.detail).toMatch(/^1\.0 MiB, /);
    expect(byName.get('standby work trees')?.detail).toMatch(
      /^1 \(3\.0 MiB\); .*removed with its mirror \(git\.standbyWorkTrees true\)$/,
    );
    expect(byName.get('  standby acme-widgets-0123456789abcdef')?.detail).toMatch(/^3\.0 MiB, made /);
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
  });

  it('reports an empty state dir as nothing kept', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cli-repo-disk-'));
    const checks = await repositoryDisk(stateDir, readConfig(stateDir));
    expect(checks.map((c) => c.detail.split(';')[0])).toEqual(['0 (0.0 MiB)', '0 (0.0 MiB)', '0 (0.0 MiB)']);
  });
});

describe('retention settings', () => {
  it('reach the policy, and the composed runner prunes what is older at once', async () => {
    const { stateDir, mirror, tree, standby } = stateWithRepositories();
    expect(retentionFrom(readConfig(stateDir))).toEqual({
      mirrorRetentionDays: 30,
      workTreeRetentionDays: 14,
    });
    setSetting(stateDir, 'git.keepFailedWorkTreesDays', '2');
    setSetting(stateDir, 'git.mirrorRetentionDays', '5');
    expect(retentionFrom(readConfig(stateDir))).toEqual({ mirrorRetentionDays: 5, workTreeRetentionDays: 2 });
    expect(() => setSetting(stateDir, 'git.keepFailedWorkTreesDays', '0')).toThrow(/positive whole number/);

    // Three days old: past the work tree's two days, within the mirror's five.
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    for (const path of [tree, join(tree, '.git')]) utimesSync(path, threeDaysAgo, threeDaysAgo);
    utimesSync(mirror, threeDaysAgo, threeDaysAgo);
    const runner = composeRunner({ server: 'http://127.0.0.1:9', token: 'coord_test_token', stateDir });
    for (let i = 0; i < 100 && existsSync(tree); i++) await delay(50);
    expect(existsSync(tree)).toBe(false);
    expect(existsSync(mirror)).toBe(true);
    // The standby is kept as long as its mirror is.
    expect(existsSync(standby)).toBe(true);
    await runner.stop();
  });

  it('git.standbyWorkTrees false reaches the git options, and the runner removes the standbys left', async () => {
    const { stateDir, standby } = stateWithRepositories();
    expect(gitOptionsFrom(readConfig(stateDir)).standbyWorkTrees).toBeUndefined();
    expect(() => setSetting(stateDir, 'git.standbyWorkTrees', 'no')).toThrow(/true or false/);
    setSetting(stateDir, 'git.standbyWorkTrees', 'false');
    expect(gitOptionsFrom(readConfig(stateDir)).standbyWorkTrees).toBe(false);
    const checks = await repositoryDisk(stateDir, readConfig(stateDir));
    expect(checks.find((c) => c.check === 'standby work trees')?.detail).toMatch(
      /git\.standbyWorkTrees false: removed at the next sweep\)$/,
    );
    const runner = composeRunner({ server: 'http://127.0.0.1:9', token: 'coord_test_token', stateDir });
    for (let i = 0; i < 100 && existsSync(standby); i++) await delay(50);
    expect(existsSync(standby)).toBe(false);
    await runner.stop();
  });
});
