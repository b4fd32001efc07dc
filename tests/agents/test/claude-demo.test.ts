import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../src/fake-anthropic.js';
import { pinnedBin } from './harness.js';

const cli = fileURLToPath(new URL('../../../apps/cli/bin/coord-runner.js', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('coord-runner demo --agent claude-code', () => {
  it('runs the demo task with the real CLI and ends with a pull request', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'coord-claude-demo-'));
    dirs.push(dir);
    const fake = await startFakeAnthropic([
      {
        kind: 'tool',
        name: 'Write',
        input: {
          file_path: 'src/greeting.js',
          content: 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n',
        },
      },
      { kind: 'text', text: 'Added src/greeting.js.' },
    ]);
    try {
      // auto_edit: the policy approves the edit inside the project, so nobody needs to be asked.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [cli, 'demo', '--agent', 'claude-code', '--permission-mode', 'auto_edit'],
        {
          env: {
            PATH: `${pinnedBin}:/usr/bin:/bin`,
            HOME: path.join(dir, 'home'),
            TMPDIR: dir,
            ANTHROPIC_BASE_URL: fake.url,
            ANTHROPIC_API_KEY: 'sk-test-dummy-key',
          },
          timeout: 90_000,
        },
      );
      expect(stdout).toContain('(agent: claude-code)');
      expect(stdout).toContain('✓ allowed Write by the permission policy');
      expect(stdout).toMatch(/Pull request #1: http:\/\/127\.0\.0\.1:\d+\/forge\/local\/demo-app\/pull\/1/);
      expect(stdout).toContain('1 file changed, 3 insertions(+)');
    } finally {
      await fake.close();
    }
  }, 120_000);
});
