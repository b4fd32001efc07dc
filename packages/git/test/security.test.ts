import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepositoryWorkspaces } from '../src/index.js';
import { authorizationHeaderValue, gitEnvironment } from '../src/git-env.js';
import { createGitRecorder } from './helpers/git-recorder.js';
import { createFixture, forgeToken, jobIdHash, type Fixture, caught } from './workspace-fixture.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function listTree(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).catch(() => []);
}

describe('hostile input', () => {
  const hostileUrls: [string, RegExp][] = [
    ['--upload-pack=touch /tmp/pwned', /whitespace|option/],
    ['--upload-pack=x', /option/],
    ['-x', /option/],
    ['ext::sh -c touch% /tmp/pwned', /whitespace/],
    ['ext::evil', /only https and ssh/],
    ['fd::17', /only https and ssh/],
    ['git://example.com/acme/widgets.git', /only https and ssh/],
    ['/srv/git/widgets.git', /not a URL/],
    ['https://x-access-token:ghs_secretsecret@github.com/acme/widgets.git', /credentials/],
    ['https://token@github.com/acme/widgets.git', /credentials/],
    ['ssh://git:hunter22@github.com/acme/widgets.git', /credentials/],
    ['ssh://-oProxyCommand=touch%20x/acme/widgets.git', /host/],
    ['http://example.com/acme/widgets.git', /http on a host other than/],
    ['http://127.0.0.1.evil.example/acme/widgets.git', /http on a host other than/],
    ['https://github.com@evil.example/acme/widgets.git', /credentials/],
    ['ext::git-remote-ext', /only https and ssh/],
    ['EXT::sh -c id', /whitespace/],
    ['git+ssh://github.com/acme/widgets.git', /only https and ssh/],
    ['ssh+git://github.com/acme/widgets.git', /only https and ssh/],
    ['ftp://example.com/acme/widgets.git', /only https and ssh/],
    ['rsync://example.com/acme/widgets.git', /only https and ssh/],
    ['FILE:///srv/git/widgets.git', /only the local server/],
    ['file:///srv/git/widgets.git', /only the local server/],
    ['git@-oProxyCommand=touch:acme/widgets.git', /host|not a URL/],
    ['git@github.com:-u/widgets.git', /path starting with "-"/],
    ['https://github.com/acme/widgets.git\n', /whitespace/],
  ];

  it.each(hostileUrls)(
    'refuses the clone URL %j with git.invalid_remote and touches nothing',
    async (url, reason) => {
      fx = await createFixture({ allowFileRemotes: false }, { withOrigin: false });
      const error = await caught(fx.port.prepare(fx.prepareInput({ repository: { cloneUrl: url } })));
      expect(error.code).toBe('git.invalid_remote');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(reason);
      expect(error.message).not.toMatch(/hunter22|ghs_secretsecret/);
      expect(await listTree(fx.ctx.workspaceDir)).toEqual([]);
      expect(await listTree(fx.ctx.mirrorsDir)).toEqual([]);
    },
  );

  it('refuses file: remotes unless allowFileRemotes is set', async () => {
    fx = await createFixture({ allowFileRemotes: false }, { withOrigin: false });
    const error = await caught(fx.port.prepare(fx.prepareInput()));
    expect(error.code).toBe('git.invalid_remote');
    expect(error.message).toContain('file:');
  });

  const hostileBranches = [
    '--upload-pack=x',
    '-x',
    'a..b',
    'HEAD',
    'main@{1}',
    'feature/.hidden',
    'x.lock',
    'a b',
    'a~1',
    'a:b',
    '/abs',
    'trailing/',
    'a//b',
    'ends.',
    'ü',
  ];

  it.each(hostileBranches)(
    'refuses the attempt branch %j with git.invalid_branch and touches nothing',
    async (branch) => {
      fx = await createFixture({}, { withOrigin: false });
      const error = await caught(fx.port.prepare(fx.prepareInput({ attempt: { branch } })));
      expect(error.code).toBe('git.invalid_branch');
      expect(error.message).toContain(JSON.stringify(branch));
      expect(await listTree(fx.ctx.mirrorsDir)).toEqual([]);
    },
  );

  it('refuses a hostile base branch', async () => {
    fx = await createFixture({}, { withOrigin: false });
    const error = await caught(fx.port.prepare(fx.prepareInput({ repository: { baseBranch: '--orphan' } })));
    expect(error.code).toBe('git.invalid_branch');
  });

  it('derives a valid branch from a hostile job title', async () => {
    fx = await createFixture();
    const ws = await fx.port.prepare(
      fx.prepareInput({ job: { title: '--force; rm -rf / ..\n@{-1} ~^:?*[ \\ ' } }),
    );
    expect(ws.branch).toBe(`coord/force-rm-rf-1-${jobIdHash}`);
  });
});

describe('submodules', () => {
  it('a repository whose submodule URL is ext:: or file: never makes git run or read it', async () => {
    fx = await createFixture();
    const marker = join(fx.ctx.root, 'submodule-ran');
    // A gitlink plus a .gitmodules naming a command transport and a local path.
    const scratch = join(fx.ctx.root, 'scratch-sub');
    await fx.ctx.git(fx.ctx.root, 'clone', '--quiet', fx.origin.dir, scratch);
    await writeFile(
      join(scratch, '.gitmodules'),
      `[submodule "evil"]\n\tpath = evil\n\turl = ext::sh -c touch% ${marker}\n` +
        `[submodule "local"]\n\tpath = local\n\turl = file://${fx.origin.dir}\n`,
    );
    const head = (await fx.ctx.git(scratch, 'rev-parse', 'HEAD')).trim();
    await fx.ctx.git(scratch, 'update-index', '--add', '--cacheinfo', `160000,${head},evil`);
    await fx.ctx.git(scratch, 'update-index', '--add', '--cacheinfo', `160000,${head},local`);
    await fx.ctx.git(scratch, 'add', '.gitmodules');
    await fx.ctx.git(scratch, 'commit', '--quiet', '-m', 'Add submodules');
    await fx.ctx.git(scratch, 'push', '--quiet', 'origin', 'HEAD:main');
    // The runner's user asks git to recurse into submodules everywhere and to allow ext::.
    await writeFile(
      join(fx.ctx.home, '.gitconfig'),
      '[submodule]\n\trecurse = true\n[protocol "ext"]\n\tallow = always\n[fetch]\n\trecurseSubmodules = true\n',
    );

    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result.kind).toBe('pull_request');
    await expect(readFile(marker)).rejects.toThrow();
    expect(await readdir(join(ws.workDir, 'evil'))).toEqual([]);
    expect(await readdir(join(ws.workDir, 'local'))).toEqual([]);

    // Were one of our commands to update the submodules, the transport rule would still refuse both.
    const env = gitEnvironment({ ambient: fx.ctx.env, allowedProtocols: ['https'] });
    const refused = await new Promise<string>((resolve) => {
      execFile('git', ['submodule', 'update', '--init'], { cwd: ws.workDir, env }, (error, _out, stderr) =>
        resolve(error ? stderr : 'it ran'),
      );
    });
    expect(refused).toMatch(/transport 'ext' not allowed|transport 'file' not allowed/);
    await expect(readFile(marker)).rejects.toThrow();
  });
});

describe('secrets', () => {
  it('refuses to push a diff that adds a secret, names the file, and never repeats the secret', async () => {
    fx = await createFixture();
    const ws = await fx.port.prepare(fx.prepareInput());
    const secret = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    await writeFile(join(ws.workDir, 'config.ts'), `export const token = '${secret}';\n`);
    await writeFile(join(ws.workDir, 'fine.ts'), 'export const fine = true;\n');

    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error.code).toBe('git.secret_detected');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('config.ts line 1');
    expect(error.message).toContain('GitHub token');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(secret);
    expect(await fx.origin.tip(ws.branch)).toBeNull();
    expect(fx.api.requests).toHaveLength(0);
  });

  it('refuses to push a private key or the forge token itself', async () => {
    fx = await createFixture();
    const ws = await fx.port.prepare(fx.prepareInput());
    await writeFile(
      join(ws.workDir, 'id_ed25519'),
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    await writeFile(join(ws.workDir, '.env'), `FORGE=${forgeToken.toLowerCase()}\nTOKEN=${forgeToken}\n`);
    const error = await caught(fx.port.publish(fx.publishInput(ws)));
    expect(error.message).toContain('private key in id_ed25519 line 1');
    expect(error.message).toContain('.env line 2');
    expect(error.message).not.toContain(forgeToken);
  });
});

describe('the forge token', () => {
  it('reaches git only through the environment of network commands: never argv, config files or errors', async () => {
    fx = await createFixture();
    const rec = await createGitRecorder(fx.ctx.root);
    const port = createRepositoryWorkspaces({
      workspaceDir: fx.ctx.workspaceDir,
      mirrorsDir: fx.ctx.mirrorsDir,
      allowFileRemotes: true,
      environment: fx.ctx.env,
      gitBinary: rec.binary,
    });
    const ws = await port.prepare(fx.prepareInput());
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');
    await port.publish(fx.publishInput(ws));
    // A failing push, to see the token stays out of error messages too.
    const ws2 = await port.prepare(fx.prepareInput({ job: { id: 'job_other0001' } }));
    await writeFile(join(ws2.workDir, 'b.txt'), 'two\n');
    const error = await caught(
      port.publish(
        fx.publishInput(ws2, { repository: { ...fx.repository, cloneUrl: `${fx.origin.cloneUrl}-gone` } }),
      ),
    );

    const calls = await rec.calls();
    const header = authorizationHeaderValue(forgeToken);
    expect(calls.length).toBeGreaterThan(10);
    for (const call of calls) {
      expect(call.argv).not.toContain(forgeToken);
      expect(call.argv).not.toContain(header.slice(6));
    }
    const withAuth = calls.filter((call) => call.auth).map((call) => call.argv.split(' ')[0]);
    expect(new Set(withAuth)).toEqual(new Set(['fetch', 'ls-remote', 'push']));
    expect(withAuth).toContain('push');
    // Inherited GIT_* variables never reach git; ours do.
    const push = calls.find((call) => call.argv.startsWith('push'));
    expect(push?.env).toContain('GIT_TERMINAL_PROMPT=0');
    expect(push?.env).toContain('GIT_ALLOW_PROTOCOL=file');

    for (const config of [join(ws.workDir, '.git', 'config'), ...(await mirrorConfigs(fx.ctx.mirrorsDir))]) {
      const text = await readFile(config, 'utf8');
      expect(text).not.toContain(forgeToken);
      expect(text).not.toContain(header.slice(6));
      expect(text).not.toMatch(/extraheader/i);
    }
    expect(error.message).not.toContain(forgeToken);
    expect(error.message).not.toContain(header.slice(6));
    expect(fx.logs.join('\n')).not.toContain(forgeToken);
  });

  it('is not handed to hooks or config an agent planted in the work tree', async () => {
    fx = await createFixture();
    const ws = await fx.port.prepare(fx.prepareInput());
    const marker = join(fx.ctx.root, 'hook-ran');
    for (const hook of ['pre-push', 'pre-commit', 'post-commit', 'reference-transaction']) {
      const path = join(ws.workDir, '.git', 'hooks', hook);
      await writeFile(path, `#!/bin/sh\nenv >> '${marker}'\n`);
      await chmod(path, 0o755);
    }
    // Redirect pushes elsewhere and sign commits with a missing program: both must be ignored.
    const elsewhere = join(fx.ctx.root, 'elsewhere.git');
    await fx.ctx.git(fx.ctx.root, 'init', '--quiet', '--bare', elsewhere);
    await fx.ctx.git(ws.workDir, 'config', `url.file://${elsewhere}.insteadOf`, fx.origin.cloneUrl);
    await fx.ctx.git(ws.workDir, 'config', 'commit.gpgSign', 'true');
    await fx.ctx.git(ws.workDir, 'config', 'gpg.program', '/nonexistent/gpg');
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');

    const result = await fx.port.publish(fx.publishInput(ws));
    expect(result.kind).toBe('pull_request');
    expect(await fx.origin.tip(ws.branch)).not.toBeNull();
    expect(await fx.ctx.git(elsewhere, 'for-each-ref')).toBe('');
    await expect(readFile(marker, 'utf8')).rejects.toThrow();
  });
});

describe('work-tree isolation', () => {
  it("a hostile agent's hooks, config, refs, objects and gc in its tree reach neither the mirror nor the next job's tree", async () => {
    fx = await createFixture();
    const a = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_hostile0001' } }));
    const [mirrorName] = (await readdir(fx.ctx.mirrorsDir)).filter((name) => name.endsWith('.git'));
    const mirror = join(fx.ctx.mirrorsDir, mirrorName!);
    const snapshot = async () => ({
      config: await readFile(join(mirror, 'config'), 'utf8'),
      refs: await fx!.ctx.git(mirror, 'for-each-ref', '--format=%(objectname) %(refname)'),
      files: (await listTree(mirror)).filter((path) => !path.startsWith('coord-last-used')).sort(),
    });
    const before = await snapshot();
    const mainTip = await fx.origin.tip('main');

    // Everything an agent can do to its repository through git, and to its .git by hand.
    const marker = join(fx.ctx.root, 'hook-ran');
    const git = (...args: string[]) => fx!.ctx.git(a.workDir, ...args);
    await git('config', 'core.hooksPath', join(a.workDir, 'my-hooks'));
    await git('config', 'alias.checkout', '!touch pwned');
    await git('config', '--add', 'remote.origin.fetch', '+refs/*:refs/*');
    await writeFile(join(a.workDir, 'evil.txt'), 'evil\n');
    await git('add', 'evil.txt');
    await git('-c', 'core.hooksPath=/dev/null', 'commit', '--quiet', '-m', 'evil');
    const evil = (await git('rev-parse', 'HEAD')).trim();
    await git('update-ref', 'refs/remotes/origin/main', evil);
    await git('update-ref', 'refs/heads/main', evil);
    await git('tag', 'v-evil', evil);
    await git('-c', 'core.hooksPath=/dev/null', 'gc', '--quiet', '--prune=now');
    await git('-c', 'core.hooksPath=/dev/null', 'repack', '-a', '-d', '--quiet');
    // Hooks last, so that they wait for the runner's commands (the agent's own above would run them).
    for (const hook of ['post-checkout', 'reference-transaction', 'pre-commit']) {
      for (const dir of [join(a.workDir, '.git', 'hooks'), join(a.workDir, 'my-hooks')]) {
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, hook), `#!/bin/sh\necho ran >> '${marker}'\n`);
        await chmod(join(dir, hook), 0o755);
      }
    }

    // The mirror is as it was: same config, refs and files, and it holds no object of the agent's.
    expect(await snapshot()).toEqual(before);
    await expect(fx.ctx.git(mirror, 'cat-file', '-e', evil)).rejects.toThrow();
    await fx.ctx.git(mirror, 'fsck', '--no-progress', '--strict');

    // Left untracked and ignored in its tree: what a standby must never hand on.
    await writeFile(join(a.workDir, 'scratch.txt'), 'notes\n');
    await writeFile(join(a.workDir, '.git', 'info', 'exclude'), 'scratch.txt\n');

    // The next job's tree starts from origin's main, runs none of the planted hooks and is clean.
    // It is the standby made after the first job (from the mirror, never from the agent's tree).
    await fx.port.idle();
    fx.logs.length = 0;
    const b = await fx.port.prepare(fx.prepareInput({ job: { id: 'job_neighbour01' } }));
    expect(fx.logs.some((line) => line.startsWith('Took the standby work tree'))).toBe(true);
    await expect(readFile(join(b.workDir, 'scratch.txt'))).rejects.toThrow(/ENOENT/);
    expect(await fx.ctx.git(b.workDir, 'status', '--porcelain', '--ignored')).toBe('');
    expect(await fx.ctx.git(b.workDir, 'tag', '--list')).toBe('');
    expect(b.baseCommit).toBe(mainTip);
    expect((await fx.ctx.git(b.workDir, 'rev-parse', 'HEAD')).trim()).toBe(mainTip);
    expect(await fx.ctx.git(b.workDir, 'status', '--porcelain')).toBe('');
    await expect(readFile(join(b.workDir, 'evil.txt'))).rejects.toThrow(/ENOENT/);
    expect(await fx.ctx.git(b.workDir, 'config', '--get-all', 'remote.origin.fetch')).toBe(
      '+refs/heads/*:refs/remotes/origin/*\n',
    );
    await expect(readFile(marker, 'utf8')).rejects.toThrow(/ENOENT/);
    // And the agent's own tree still works on top of the borrowed objects.
    await fx.ctx.git(a.workDir, 'fsck', '--no-progress');
  });
});

async function mirrorConfigs(mirrorsDir: string): Promise<string[]> {
  const names = await readdir(mirrorsDir);
  return names.filter((name) => name.endsWith('.git')).map((name) => join(mirrorsDir, name, 'config'));
}
