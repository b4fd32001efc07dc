import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { onCleanup } from './helpers/cleanup.js';

describe('coord-runner demo (what `pnpm demo` runs)', () => {
  it('runs one job end to end and ends with the pull request URL and its diff stat', async () => {
    const dir = tempDir('demo');
    onCleanup(dir.cleanup);
    const result = await runCli(['demo'], { env: cliEnv(join(dir.path, 'home'), { TMPDIR: dir.path }) });
    expect(result.exitCode, String(result.all)).toBe(0);
    const out = String(result.stdout);
    // The demo agent says what it is wherever a user sees it.
    expect(out).toContain('demo agent: scripted, no AI');
    expect(out).toMatch(/greeting test passed/);
    const lines = out.trim().split('\n');
    expect(lines.at(-3)).toMatch(
      /^Pull request #1: http:\/\/127\.0\.0\.1:\d+\/forge\/local\/demo-app\/pull\/1$/,
    );
    expect(lines.at(-1)).toMatch(/^ {2}2 files changed, 8 insertions\(\+\), 0 deletions\(-\)$/);
  });

  it('--agent claude-code without the CLI says what to install and starts nothing', async () => {
    const dir = tempDir('demo-missing');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'), { TMPDIR: dir.path, PATH: '/usr/local/bin:/usr/bin:/bin' });
    const result = await runCli(['demo', '--agent', 'claude-code'], { env });
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toContain('Claude Code is not installed here');
    expect(String(result.stderr)).toContain('npm install -g @anthropic-ai/claude-code');
    expect(String(result.stdout)).not.toContain('Local Coord server');
  });
});
