import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCli } from '../src/detect.js';
import { detectClaudeCode, detectCodex } from '../src/detectors.js';
import { tempDir } from './helpers.js';

const posix = process.platform !== 'win32';

/** A fake CLI: a node script (absolute shebang, so the temp PATH needs nothing else). */
async function fakeBinary(dir: string, name: string, output: string, exitCode = 0): Promise<void> {
  const file = path.join(dir, name);
  await writeFile(
    file,
    `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(output)});\nprocess.exitCode = ${exitCode};\n`,
  );
  await chmod(file, 0o755);
}

describe.skipIf(!posix)('CLI detection', () => {
  it('finds a fake claude on PATH and reports its version', async () => {
    const bin = await tempDir();
    await fakeBinary(bin, 'claude', '2.1.197 (Claude Code)\n');
    expect(await detectClaudeCode({ env: { PATH: bin } })).toEqual({
      id: 'claude-code',
      state: 'detected',
      version: '2.1.197',
      enabled: true,
    });
  });

  it('reports not_found when the binary is absent, or present but not executable', async () => {
    const bin = await tempDir();
    expect(await detectClaudeCode({ env: { PATH: bin }, globalModuleDirs: [] })).toMatchObject({
      state: 'not_found',
      version: null,
    });
    await writeFile(path.join(bin, 'claude'), 'not executable');
    expect(await detectClaudeCode({ env: { PATH: bin }, globalModuleDirs: [] })).toMatchObject({
      state: 'not_found',
    });
  });

  it('walks PATH in order and skips empty entries', async () => {
    const first = await tempDir();
    const second = await tempDir();
    await fakeBinary(first, 'gemini', 'gemini 0.30.0\n');
    await fakeBinary(second, 'gemini', 'gemini 9.9.9\n');
    const detected = await detectCli(
      { id: 'gemini', binary: 'gemini' },
      { env: { PATH: `:${first}:${second}` } },
    );
    expect(detected.version).toBe('0.30.0');
  });

  it('still reports a binary whose --version fails as detected, without a version', async () => {
    const bin = await tempDir();
    await fakeBinary(bin, 'gemini', 'boom', 1);
    expect(await detectCli({ id: 'gemini', binary: 'gemini' }, { env: { PATH: bin } })).toEqual({
      id: 'gemini',
      state: 'detected',
      version: null,
      enabled: true,
    });
  });

  it('reports a codex whose --version fails as unsupported, with how to reinstall it', async () => {
    const bin = await tempDir();
    await fakeBinary(bin, 'codex', 'boom', 1);
    expect(await detectCodex({ env: { PATH: bin }, platform: 'linux' })).toMatchObject({
      id: 'codex',
      state: 'unsupported',
      enabled: false,
      hint: expect.stringContaining('npm install -g @openai/codex'),
    });
  });

  it('reports codex as unsupported on Windows', async () => {
    expect(await detectCodex({ platform: 'win32' })).toMatchObject({ state: 'unsupported' });
  });
});
