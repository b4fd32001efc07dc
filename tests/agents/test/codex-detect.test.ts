import { existsSync } from 'node:fs';
import { detectCodexCli } from '@coord/runner-agents';
import { describe, expect, it } from 'vitest';
import { pinnedBin } from './harness.js';

describe('Codex detection (the pinned CLI)', () => {
  it('finds the native binary behind the npm shim and reads its version', async () => {
    const { detected, file } = await detectCodexCli({ env: { PATH: pinnedBin } });
    expect(detected).toEqual({ id: 'codex', state: 'detected', version: '0.171.0', enabled: true });
    // The platform package's Rust binary, not node_modules/.bin/codex or bin/codex.js.
    expect(file).toMatch(/\/vendor\/[^/]+\/bin\/codex$/);
    expect(existsSync(file!)).toBe(true);
  });
});
