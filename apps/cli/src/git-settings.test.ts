import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitOptionsFrom } from './compose.js';
import { readConfig } from './config.js';
import { getSetting, setSetting } from './settings.js';

describe('git settings', () => {
  it('are set through config and reach the git package as its options', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'git-settings-'));
    expect(gitOptionsFrom(readConfig(stateDir))).toEqual({});
    setSetting(stateDir, 'git.authorName', 'Build Bot');
    setSetting(stateDir, 'git.authorEmail', 'bot@example.com');
    setSetting(stateDir, 'git.baseDrift', 'rebase');
    setSetting(stateDir, 'git.maxFileMb', '5');
    expect(getSetting(stateDir, 'git.baseDrift').value).toBe('rebase');
    expect(gitOptionsFrom(readConfig(stateDir))).toEqual({
      author: { name: 'Build Bot', email: 'bot@example.com' },
      baseDrift: 'rebase',
      maxFileBytes: 5 * 1024 * 1024,
    });
    // A name without an e-mail is no author: the default stays.
    setSetting(stateDir, 'git.authorEmail', null);
    expect(gitOptionsFrom(readConfig(stateDir)).author).toBeUndefined();
  });

  it('refuse values git or the policy cannot use, saying what is allowed', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'git-settings-'));
    expect(() => setSetting(stateDir, 'git.baseDrift', 'squash')).toThrow(/merge, rebase, keep/);
    expect(() => setSetting(stateDir, 'git.authorEmail', 'nobody')).toThrow(/e-mail address/);
    expect(() => setSetting(stateDir, 'git.authorName', 'Eve <evil>')).toThrow(/cannot be/);
    expect(() => setSetting(stateDir, 'git.maxFileMb', '0')).toThrow(/positive whole number/);
    expect(readConfig(stateDir).git).toBeUndefined();
  });
});
