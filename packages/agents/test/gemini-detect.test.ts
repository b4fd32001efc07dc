import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectGeminiCli, findGeminiProgram } from '../src/gemini/gemini-detect.js';
import { tempDir } from './helpers.js';

const posix = process.platform !== 'win32';
const where = { platform: 'linux' as const, globalModuleDirs: [] };

/** An npm-installed @google/gemini-cli whose bundle/gemini.js prints `version`. */
async function geminiPackage(dir: string, version: string): Promise<string> {
  const script = path.join(dir, 'bundle', 'gemini.js');
  await mkdir(path.dirname(script), { recursive: true });
  await writeFile(script, `process.stdout.write(${JSON.stringify(`${version}\n`)});\n`);
  await writeFile(path.join(dir, 'package.json'), '{"name":"@google/gemini-cli"}');
  return script;
}

async function shim(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '#!/bin/sh\nexit 1\n');
  await chmod(file, 0o755);
}

describe.skipIf(!posix)('Gemini CLI detection', () => {
  it("resolves pnpm's node_modules/.bin shim to the package's script, started with Node", async () => {
    const root = await tempDir();
    const script = await geminiPackage(path.join(root, 'node_modules/@google/gemini-cli'), '0.61.0');
    await shim(path.join(root, 'node_modules/.bin/gemini'));
    const found = await findGeminiProgram({
      ...where,
      parentEnv: { PATH: path.join(root, 'node_modules/.bin') },
    });
    expect(found).toEqual({ file: process.execPath, prefixArgs: [script] });
    const { detected } = await detectGeminiCli({
      ...where,
      parentEnv: { PATH: path.join(root, 'node_modules/.bin') },
    });
    expect(detected).toMatchObject({ id: 'gemini', state: 'detected', version: '0.61.0', enabled: true });
  });

  it("follows npm's global bin symlink to bundle/gemini.js", async () => {
    const root = await tempDir();
    const script = await geminiPackage(path.join(root, 'lib/node_modules/@google/gemini-cli'), '0.62.1');
    await chmod(script, 0o755); // npm marks a package's bins executable
    await mkdir(path.join(root, 'bin'));
    await symlink(script, path.join(root, 'bin/gemini'));
    const found = await findGeminiProgram({ ...where, parentEnv: { PATH: path.join(root, 'bin') } });
    expect(found?.prefixArgs).toEqual([script]);
  });

  it('finds a global npm install off PATH, and honours a configured script', async () => {
    const root = await tempDir();
    const script = await geminiPackage(path.join(root, 'global/@google/gemini-cli'), '0.61.0');
    expect(
      await findGeminiProgram({
        platform: 'linux',
        globalModuleDirs: [path.join(root, 'global')],
        parentEnv: { PATH: '' },
      }),
    ).toEqual({ file: process.execPath, prefixArgs: [script] });
    expect(await findGeminiProgram({ ...where, configuredPath: script, parentEnv: { PATH: '' } })).toEqual({
      file: process.execPath,
      prefixArgs: [script],
    });
  });

  it('reports not found with the install command, a wrong configured path, and a too-old version', async () => {
    expect((await detectGeminiCli({ ...where, parentEnv: { PATH: '' } })).detected).toMatchObject({
      state: 'not_found',
      hint: 'Install it with: npm install -g @google/gemini-cli',
    });
    const wrong = await detectGeminiCli({
      ...where,
      configuredPath: '/nope/gemini',
      parentEnv: { PATH: '' },
    });
    expect(wrong.detected.hint).toContain('/nope/gemini');
    const root = await tempDir();
    const old = await geminiPackage(path.join(root, 'old'), '0.40.0');
    expect(
      (await detectGeminiCli({ ...where, configuredPath: old, parentEnv: { PATH: '' } })).detected,
    ).toMatchObject({
      state: 'unsupported',
      version: '0.40.0',
    });
  });
});
