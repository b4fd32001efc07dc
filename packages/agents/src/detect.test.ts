import { describe, expect, it } from 'vitest';
import { detectCli, parseVersion } from './detect.js';

describe('parseVersion', () => {
  it('takes the version token of common --version outputs', () => {
    expect(parseVersion('2.1.197 (Claude Code)\n')).toBe('2.1.197');
    expect(parseVersion('codex-cli 0.169.0')).toBe('0.169.0');
    expect(parseVersion('gemini 0.30.0-nightly.1\n')).toBe('0.30.0-nightly.1');
    expect(parseVersion('weird\nsecond')).toBe('weird');
    expect(parseVersion('')).toBeNull();
  });
});

describe('detectCli', () => {
  it('reports an agent as unsupported off its platforms without looking for it', async () => {
    const detected = await detectCli(
      { id: 'codex', binary: 'codex', platforms: ['linux', 'darwin'] },
      { platform: 'win32' },
    );
    expect(detected).toEqual({ id: 'codex', state: 'unsupported', version: null, enabled: false });
  });
});
