import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface TestContext {
  root: string;
  home: string;
  /** The environment the code under test and the helpers run git with: HOME is private to the test. */
  env: Record<string, string>;
  workspaceDir: string;
  mirrorsDir: string;
  /** Runs git in `cwd` as the test's own user (not the runner). */
  git(cwd: string, ...args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createTestContext(): Promise<TestContext> {
  const root = await mkdtemp(join(tmpdir(), 'coord-git-'));
  const home = join(root, 'home');
  await mkdir(home);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
  const helperEnv = {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test Person',
    GIT_AUTHOR_EMAIL: 'person@example.test',
    GIT_COMMITTER_NAME: 'Test Person',
    GIT_COMMITTER_EMAIL: 'person@example.test',
    LC_ALL: 'C',
  };
  return {
    root,
    home,
    env,
    workspaceDir: join(root, 'work'),
    mirrorsDir: join(root, 'mirrors'),
    async git(cwd, ...args) {
      const { stdout } = await execFileAsync('git', args, {
        cwd,
        env: helperEnv,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export interface Origin {
  /** The bare repository playing the forge's side. */
  dir: string;
  cloneUrl: string;
  /** Commits `files` on `branch` of the origin (through a scratch clone) and returns the new commit id. */
  commit(branch: string, files: Record<string, string>, message?: string): Promise<string>;
  tip(branch: string): Promise<string | null>;
}

/** A bare origin whose default branch is `main`, with one commit (`README.md`) and a `develop` branch. */
export async function createOrigin(ctx: TestContext, name = 'acme/widgets'): Promise<Origin> {
  const dir = join(ctx.root, 'origin', `${name}.git`);
  await mkdir(dir, { recursive: true });
  await ctx.git(dir, 'init', '--quiet', '--bare', '--initial-branch=main');
  const scratchRoot = join(ctx.root, 'scratch');
  await mkdir(scratchRoot, { recursive: true });
  let counter = 0;
  const origin: Origin = {
    dir,
    cloneUrl: pathToFileURL(dir).href,
    async commit(branch, files, message = `Change ${counter}`) {
      const scratch = join(scratchRoot, `s${counter++}`);
      await ctx.git(scratchRoot, 'clone', '--quiet', dir, scratch);
      const remote = (
        await ctx.git(scratch, 'for-each-ref', '--format=%(refname)', 'refs/remotes/origin')
      ).split('\n');
      if (remote.includes(`refs/remotes/origin/${branch}`)) {
        await ctx.git(scratch, 'checkout', '--quiet', '-B', branch, `origin/${branch}`);
      } else if (remote.includes('refs/remotes/origin/main')) {
        await ctx.git(scratch, 'checkout', '--quiet', '-B', branch, 'origin/main');
      } else {
        await ctx.git(scratch, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`); // empty repository
      }
      for (const [file, content] of Object.entries(files)) {
        const path = join(scratch, file);
        await mkdir(join(path, '..'), { recursive: true });
        await writeFile(path, content);
      }
      await ctx.git(scratch, 'add', '--all');
      await ctx.git(scratch, 'commit', '--quiet', '-m', message);
      await ctx.git(scratch, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
      const sha = (await ctx.git(scratch, 'rev-parse', 'HEAD')).trim();
      await rm(scratch, { recursive: true, force: true });
      return sha;
    },
    async tip(branch) {
      const out = await ctx.git(dir, 'for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`);
      return out.trim() || null;
    },
  };
  await origin.commit('main', { 'README.md': '# Widgets\n' }, 'Initial commit');
  await origin.commit('develop', { 'DEVELOP.md': 'develop\n' }, 'Develop work');
  return origin;
}
