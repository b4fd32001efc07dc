import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/coord-runner.js', import.meta.url));

/**
 * The packages the built CLI loads for `args`, seen by a module resolve hook: a command must load
 * its code when it runs, so `--help` stays quick (pnpm bench cli). One static import of core in
 * any command module put all of it on every command's path before this test existed.
 */
function loadedPackages(args: string[]): Set<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cli-lazy-'));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      // The last node_modules/<package>/ of the path: pnpm nests them under node_modules/.pnpm.
      const m = /\\/packages\\/([a-z-]+)\\/|.*\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
      if (m) process.stderr.write('LOADED ' + (m[1] ? 'packages/' + m[1] : m[2]) + '\\n');
      return result;
    }`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`,
  );
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: dir },
  });
  expect(run.status, run.stderr).toBe(0);
  return new Set([...run.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!));
}

describe('the built CLI loads command code lazily', () => {
  it('--help loads neither core, agents, git, the local server nor zod', () => {
    const loaded = loadedPackages(['--help']);
    for (const heavy of [
      'packages/core',
      'packages/agents',
      'packages/git',
      'packages/local-server',
      'zod',
      'rxjs',
    ]) {
      expect([...loaded], heavy).not.toContain(heavy);
    }
  });

  it("a subcommand's --help does not either", () => {
    const loaded = loadedPackages(['jobs', 'request-changes', '--help']);
    expect([...loaded]).not.toContain('packages/core');
  });
});
