import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultGlobalModuleDirs, detectClaude, findClaudeBinary } from '../src/claude/claude-detect.js';
import { tempDir } from './helpers.js';

const posix = process.platform !== 'win32';
// No default global install dirs: what this machine has installed must not change the outcome.
const where = { platform: 'linux' as const, arch: 'x64', globalModuleDirs: [] };

/** A program printing `output` for --version (absolute shebang: the test PATH holds nothing else). */
async function program(file: string, output: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(output)});\n`);
  await chmod(file, 0o755);
  return file;
}

/** The npm package as installed without its postinstall: bin/claude.exe is a placeholder. */
async function wrapperPackage(dir: string): Promise<void> {
  await program(path.join(dir, 'bin', 'claude.exe'), 'Error: claude native binary not installed.\n');
  await writeFile(path.join(dir, 'package.json'), '{"name":"@anthropic-ai/claude-code"}');
}

describe.skipIf(!posix)('Claude Code detection', () => {
  it('resolves a pnpm shim to the platform package next to the wrapper', async () => {
    const root = await tempDir();
    const store = path.join(
      root,
      'node_modules/.pnpm/@anthropic-ai+claude-code@2.1.332/node_modules/@anthropic-ai',
    );
    await wrapperPackage(path.join(store, 'claude-code'));
    const native = await program(
      path.join(store, 'claude-code-linux-x64', 'claude'),
      '2.1.332 (Claude Code)\n',
    );
    await mkdir(path.join(root, 'node_modules/@anthropic-ai'), { recursive: true });
    await symlink(path.join(store, 'claude-code'), path.join(root, 'node_modules/@anthropic-ai/claude-code'));
    // pnpm's shim is a shell script, not a link: the package is found next to node_modules/.bin.
    await program(path.join(root, 'node_modules/.bin/claude'), 'a shell shim');

    const bin = path.join(root, 'node_modules/.bin');
    expect(await findClaudeBinary({ ...where, env: { PATH: bin } })).toBe(native);
    expect(await detectClaude({ ...where, env: { PATH: bin } })).toEqual({
      file: native,
      detected: { id: 'claude-code', state: 'detected', version: '2.1.332', enabled: true },
    });
  });

  it('resolves an npm global link to the platform package inside the wrapper (musl too)', async () => {
    const prefix = await tempDir();
    const pkg = path.join(prefix, 'lib/node_modules/@anthropic-ai/claude-code');
    await wrapperPackage(pkg);
    const native = await program(
      path.join(pkg, 'node_modules/@anthropic-ai/claude-code-linux-x64-musl/claude'),
      '2.1.332 (Claude Code)\n',
    );
    await mkdir(path.join(prefix, 'bin'));
    await symlink(path.join(pkg, 'bin/claude.exe'), path.join(prefix, 'bin/claude'));
    expect(await findClaudeBinary({ ...where, env: { PATH: path.join(prefix, 'bin') } })).toBe(native);
  });

  it('uses a native binary found on PATH as it is (the standalone installer)', async () => {
    const bin = await tempDir();
    const file = await program(path.join(bin, 'claude'), '2.1.340 (Claude Code)\n');
    expect(await detectClaude({ ...where, env: { PATH: bin } })).toMatchObject({
      file,
      detected: { state: 'detected', version: '2.1.340' },
    });
  });

  it('prefers a configured path, and says so when it is wrong', async () => {
    const dir = await tempDir();
    const configured = await program(path.join(dir, 'my-claude'), '2.1.333 (Claude Code)\n');
    const onPath = await tempDir();
    await program(path.join(onPath, 'claude'), '2.1.200 (Claude Code)\n');
    expect(
      (await detectClaude({ ...where, configuredPath: configured, env: { PATH: onPath } })).detected.version,
    ).toBe('2.1.333');
    const missing = await detectClaude({
      ...where,
      configuredPath: path.join(dir, 'nope'),
      env: { PATH: onPath },
    });
    expect(missing.detected).toMatchObject({ state: 'not_found' });
    expect(missing.detected.hint).toContain(path.join(dir, 'nope'));
  });

  it('finds a global npm install off PATH', async () => {
    const modules = await tempDir();
    await wrapperPackage(path.join(modules, '@anthropic-ai/claude-code'));
    const native = await program(
      path.join(modules, '@anthropic-ai/claude-code-linux-x64/claude'),
      '2.1.332\n',
    );
    const empty = await tempDir();
    expect(await findClaudeBinary({ ...where, env: { PATH: empty }, globalModuleDirs: [modules] })).toBe(
      native,
    );
  });

  it('reports not_found with the install command', async () => {
    const empty = await tempDir();
    expect((await detectClaude({ ...where, env: { PATH: empty } })).detected).toEqual({
      id: 'claude-code',
      state: 'not_found',
      version: null,
      enabled: false,
      hint: 'Install it with: npm install -g @anthropic-ai/claude-code',
    });
  });

  it('reports a too old CLI, or one without a version, as unsupported and says why', async () => {
    const bin = await tempDir();
    await program(path.join(bin, 'claude'), '2.1.74 (Claude Code)\n');
    const old = await detectClaude({ ...where, env: { PATH: bin } });
    expect(old.detected).toMatchObject({ state: 'unsupported', version: '2.1.74', enabled: false });
    expect(old.detected.hint).toContain('2.1.181');
    await program(path.join(bin, 'claude'), 'Error: claude native binary not installed.\n');
    expect((await detectClaude({ ...where, env: { PATH: bin } })).detected).toMatchObject({
      state: 'unsupported',
    });
  });

  it('reports other platforms as unsupported without looking', async () => {
    expect((await detectClaude({ platform: 'freebsd' })).detected).toMatchObject({ state: 'unsupported' });
  });

  it("looks in npm's usual global prefixes by default", () => {
    const prefix = path.dirname(path.dirname(process.execPath));
    expect(defaultGlobalModuleDirs({ HOME: '/home/u' }, 'linux')).toEqual(
      expect.arrayContaining([path.join(prefix, 'lib/node_modules'), '/home/u/.npm-global/lib/node_modules']),
    );
    expect(defaultGlobalModuleDirs({ AppData: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')[0]).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\npm\\node_modules',
    );
  });
});
