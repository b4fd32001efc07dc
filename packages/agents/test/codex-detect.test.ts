import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCodexCli, findCodexBinary } from '../src/codex/codex-detect.js';
import { tempDir } from './helpers.js';

const posix = process.platform !== 'win32';
const where = { platform: 'linux' as const, arch: 'x64' };
const triple = 'x86_64-unknown-linux-musl';

/** A program printing `output` for --version (absolute shebang: the test PATH holds nothing else). */
async function program(file: string, output: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(output)});\n`);
  await chmod(file, 0o755);
  return file;
}

describe.skipIf(!posix)('Codex detection', () => {
  it('resolves a pnpm shim to the native binary of the platform package beside the wrapper', async () => {
    const root = await tempDir();
    const store = path.join(root, 'node_modules/.pnpm/@openai+codex@0.171.0/node_modules/@openai');
    await program(path.join(store, 'codex/bin/codex.js'), 'the node launcher');
    const native = await program(
      path.join(store, `codex-linux-x64/vendor/${triple}/bin/codex`),
      'codex-cli 0.171.0\n',
    );
    await mkdir(path.join(root, 'node_modules/@openai'), { recursive: true });
    await symlink(path.join(store, 'codex'), path.join(root, 'node_modules/@openai/codex'));
    await program(path.join(root, 'node_modules/.bin/codex'), 'a shell shim');

    const bin = path.join(root, 'node_modules/.bin');
    expect(await findCodexBinary({ ...where, env: { PATH: bin } })).toBe(native);
    expect(await detectCodexCli({ ...where, env: { PATH: bin } })).toEqual({
      file: native,
      detected: { id: 'codex', state: 'detected', version: '0.171.0', enabled: true },
    });
  });

  it('resolves an npm global link to the platform package inside the wrapper', async () => {
    const prefix = await tempDir();
    const pkg = path.join(prefix, 'lib/node_modules/@openai/codex');
    await program(path.join(pkg, 'bin/codex.js'), 'the node launcher');
    const native = await program(
      path.join(pkg, `node_modules/@openai/codex-linux-x64/vendor/${triple}/bin/codex`),
      'codex-cli 0.171.0\n',
    );
    await mkdir(path.join(prefix, 'bin'));
    await symlink(path.join(pkg, 'bin/codex.js'), path.join(prefix, 'bin/codex'));
    expect(await findCodexBinary({ ...where, env: { PATH: path.join(prefix, 'bin') } })).toBe(native);
  });

  it('says how to install it when it is missing, and names a wrong configured path', async () => {
    const empty = await tempDir();
    expect((await detectCodexCli({ ...where, env: { PATH: empty } })).detected).toEqual({
      id: 'codex',
      state: 'not_found',
      version: null,
      enabled: false,
      hint: 'Install it with: npm install -g @openai/codex',
    });
    const configured = path.join(empty, 'nope/codex');
    expect((await detectCodexCli({ ...where, configuredPath: configured })).detected.hint).toContain(
      configured,
    );
  });

  it('is unsupported on Windows without looking, and when too old', async () => {
    expect((await detectCodexCli({ platform: 'win32' })).detected).toMatchObject({
      state: 'unsupported',
      hint: 'Codex does not support Windows.',
    });
    const bin = await tempDir();
    await program(path.join(bin, 'codex'), 'codex-cli 0.169.0\n');
    expect((await detectCodexCli({ ...where, env: { PATH: bin } })).detected).toMatchObject({
      state: 'unsupported',
      version: '0.169.0',
      hint: expect.stringContaining('too old'),
    });
  });
});
