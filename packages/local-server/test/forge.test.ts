import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../src/index.js';
import { claimNow, register, signIn, startServer, submit, tempDir } from './helpers.js';

const run = promisify(execFile);
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Real git, isolated from the user's config; credentials only through -c http.extraHeader (tests only). */
function gitWith(auth: string | null) {
  return (args: string[], cwd?: string) =>
    run('git', [...(auth ? ['-c', `http.extraHeader=Authorization: ${auth}`] : []), ...args], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: cwd ?? '/nonexistent',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'Test',
        GIT_AUTHOR_EMAIL: 'test@example.com',
        GIT_COMMITTER_NAME: 'Test',
        GIT_COMMITTER_EMAIL: 'test@example.com',
      },
    });
}

describe('forge', () => {
  it('creates a repo, takes a push over HTTP, and serves the pulls API to octokit', async () => {
    const { server } = await startServer();
    const octokit = new Octokit({ log: quiet, baseUrl: `${server.url}/forge/api`, auth: server.token });
    const created = await octokit.rest.repos.createForAuthenticatedUser({ name: 'demo', auto_init: true });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      name: 'demo',
      full_name: 'local/demo',
      owner: { login: 'local' },
      default_branch: 'main',
    });
    expect(created.data.clone_url).toBe(`${server.url}/forge/git/local/demo.git`);
    expect((await octokit.rest.repos.get({ owner: 'local', repo: 'demo' })).data.id).toBe(created.data.id);
    await expect(octokit.rest.repos.createForAuthenticatedUser({ name: 'demo' })).rejects.toMatchObject({
      status: 422,
    });

    const work = tempDir();
    const git = gitWith(`Bearer ${server.token}`);
    await git(['clone', '--quiet', created.data.clone_url, work]);
    await git(['checkout', '-q', '-b', 'coord/feature'], work);
    writeFileSync(join(work, 'hello.txt'), 'one\ntwo\n');
    writeFileSync(join(work, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
    writeFileSync(join(work, 'README.md'), '# changed\n');
    await git(['add', '-A'], work);
    await git(['commit', '-q', '-m', 'feature'], work);
    await git(['push', '-q', 'origin', 'coord/feature'], work);

    const pr = await octokit.rest.pulls.create({
      owner: 'local',
      repo: 'demo',
      head: 'coord/feature',
      base: 'main',
      title: 'Add hello',
      body: 'Why',
    });
    expect(pr.status).toBe(201);
    expect(pr.data).toMatchObject({
      number: 1,
      state: 'open',
      title: 'Add hello',
      body: 'Why',
      merged: false,
      html_url: `${server.url}/forge/local/demo/pull/1`,
      head: { ref: 'coord/feature', label: 'local:coord/feature' },
      base: { ref: 'main' },
    });
    expect(pr.data.head.sha).toMatch(/^[0-9a-f]{40}$/);
    await expect(
      octokit.rest.pulls.create({
        owner: 'local',
        repo: 'demo',
        head: 'local:coord/feature',
        base: 'main',
        title: 'again',
      }),
    ).rejects.toMatchObject({
      status: 422,
      response: {
        data: { errors: [expect.objectContaining({ message: expect.stringMatching(/already exists/) })] },
      },
    });
    await expect(
      octokit.rest.pulls.create({
        owner: 'local',
        repo: 'demo',
        head: 'no-such-branch',
        base: 'main',
        title: 'x',
      }),
    ).rejects.toMatchObject({ status: 422 });

    const listed = await octokit.rest.pulls.list({
      owner: 'local',
      repo: 'demo',
      head: 'local:coord/feature',
      state: 'open',
    });
    expect(listed.data.map((p) => p.number)).toEqual([1]);
    expect(
      (await octokit.rest.pulls.list({ owner: 'local', repo: 'demo', head: 'local:other', state: 'all' }))
        .data,
    ).toEqual([]);

    const got = await octokit.rest.pulls.get({ owner: 'local', repo: 'demo', pull_number: 1 });
    // hello.txt +2, README.md +1 -N, blob.bin binary (counts as changed, no lines).
    expect(got.data).toMatchObject({ commits: 1, additions: 3, changed_files: 3 });
    expect(got.data.deletions).toBeGreaterThanOrEqual(1);

    const updated = await octokit.rest.pulls.update({
      owner: 'local',
      repo: 'demo',
      pull_number: 1,
      title: 'Add hello (v2)',
      state: 'closed',
    });
    expect(updated.data).toMatchObject({ title: 'Add hello (v2)', state: 'closed', body: 'Why' });
    expect((await octokit.rest.pulls.list({ owner: 'local', repo: 'demo', state: 'open' })).data).toEqual([]);
    await expect(
      octokit.rest.pulls.get({ owner: 'local', repo: 'demo', pull_number: 99 }),
    ).rejects.toMatchObject({ status: 404 });

    // Its html_url is a page of the web app, which reads the pull request from the app's API.
    const browser = await signIn(server);
    expect(new URL(pr.data.html_url).pathname).toBe('/forge/local/demo/pull/1');
    const page = await browser.get('/forge/local/demo/pull/1');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const { body } = await browser.json('GET', '/pulls/local/demo/1');
    expect(body.pull).toMatchObject({
      title: 'Add hello (v2)',
      body: 'Why',
      state: 'closed',
      head: 'coord/feature',
      base: 'main',
      diffStat: { commits: 1, additions: 3, changed_files: 3 },
    });
    expect((await browser.json('GET', '/pulls/local/demo/99')).status).toBe(404);
  });

  it("creates a repository on its owner's first push, and only then", async () => {
    const { server } = await startServer();
    const bob = createAccount(server.store, { name: 'bob', workspaces: ['local'] });
    const git = gitWith(`Bearer ${server.token}`);
    const work = tempDir();
    await git(['init', '-q', '-b', 'main', work]);
    writeFileSync(join(work, 'README.md'), '# mine\n');
    await git(['add', '-A'], work);
    await git(['commit', '-q', '-m', 'first'], work);
    const url = (owner: string, name: string) => `${server.url}/forge/git/${owner}/${name}.git`;

    // Not by a fetch, not under another account's name, not with a bad name.
    await expect(git(['clone', '-q', url('local', 'nothing-here'), join(tempDir(), 'c')])).rejects.toThrow();
    await expect(git(['push', '-q', url('bob', 'not-mine'), 'main'], work)).rejects.toThrow();
    await expect(git(['push', '-q', url('local', '..'), 'main'], work)).rejects.toThrow();
    const octokit = new Octokit({ log: quiet, baseUrl: `${server.url}/forge/api`, auth: server.token });
    for (const [owner, repo] of [
      ['local', 'nothing-here'],
      ['bob', 'not-mine'],
    ]) {
      await expect(octokit.rest.repos.get({ owner: owner!, repo: repo! })).rejects.toMatchObject({
        status: 404,
      });
    }

    // Two first pushes at once: one repository, both branches in it.
    await git(['branch', 'second'], work);
    await Promise.all([
      git(['push', '-q', url('local', 'mine'), 'main'], work),
      git(['push', '-q', url('local', 'mine'), 'second'], work),
    ]);
    const { data } = await octokit.rest.repos.get({ owner: 'local', repo: 'mine' });
    expect(data).toMatchObject({ full_name: 'local/mine', default_branch: 'main' });
    const copy = join(tempDir(), 'copy');
    await git(['clone', '-q', data.clone_url, copy]);
    expect((await git(['branch', '-r'], copy)).stdout).toMatch(/origin\/main[\s\S]*origin\/second/);
    // Bob can push to create his own.
    await gitWith(`Bearer ${bob.token}`)(['push', '-q', url('bob', 'his'), 'main'], work);
    expect((await octokit.rest.repos.get({ owner: 'bob', repo: 'his' })).data.full_name).toBe('bob/his');
  });

  it('refuses unauthenticated and badly authenticated git and API access', async () => {
    const { server } = await startServer();
    const octokit = new Octokit({ log: quiet, baseUrl: `${server.url}/forge/api`, auth: server.token });
    const repo = (await octokit.rest.repos.createForAuthenticatedUser({ name: 'secret', auto_init: true }))
      .data;

    await expect(
      new Octokit({ log: quiet, baseUrl: `${server.url}/forge/api` }).rest.repos.get({
        owner: 'local',
        repo: 'secret',
      }),
    ).rejects.toMatchObject({ status: 401 });
    await expect(
      new Octokit({ log: quiet, baseUrl: `${server.url}/forge/api`, auth: 'coord_wrong' }).rest.repos.get({
        owner: 'local',
        repo: 'secret',
      }),
    ).rejects.toMatchObject({ status: 401 });

    const res = await fetch(`${repo.clone_url}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="coord"');
    await expect(gitWith(null)(['clone', '--quiet', repo.clone_url, join(tempDir(), 'x')])).rejects.toThrow();
    await expect(
      gitWith('Bearer coord_wrong')(['clone', '--quiet', repo.clone_url, join(tempDir(), 'y')]),
    ).rejects.toThrow();
    // Basic with any user name and the token as the password works.
    const basic = Buffer.from(`x-access-token:${server.token}`).toString('base64');
    await gitWith(`Basic ${basic}`)(['clone', '--quiet', repo.clone_url, join(tempDir(), 'z')]);
  });

  it('mints a per-attempt forge token, valid for its repo only while the lease is held', async () => {
    const { server, api } = await startServer();
    const octokit = new Octokit({ log: quiet, baseUrl: `${server.url}/forge/api`, auth: server.token });
    const repo = (await octokit.rest.repos.createForAuthenticatedUser({ name: 'work', auto_init: true }))
      .data;
    await octokit.rest.repos.createForAuthenticatedUser({ name: 'other', auto_init: true });
    const runner = await register(api);
    await submit(api, {
      context: { type: 'repository', repository: { cloneUrl: repo.clone_url, owner: 'local', name: 'work' } },
    });
    const assignment = await claimNow(api, runner);
    expect(assignment.forge).toEqual({ apiBaseUrl: `${server.url}/forge/api`, token: expect.any(String) });
    const token: string = assignment.forge.token;

    const work = tempDir();
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const git = gitWith(`Basic ${basic}`);
    await git(['clone', '--quiet', repo.clone_url, work]);
    await git(['checkout', '-q', '-b', 'coord/job'], work);
    writeFileSync(join(work, 'a.txt'), 'a\n');
    await git(['add', '-A'], work);
    await git(['commit', '-q', '-m', 'a'], work);
    await git(['push', '-q', 'origin', 'coord/job'], work);

    const asAttempt = new Octokit({ log: quiet, baseUrl: assignment.forge.apiBaseUrl, auth: token });
    const pr = await asAttempt.rest.pulls.create({
      owner: 'local',
      repo: 'work',
      head: 'coord/job',
      base: 'main',
      title: 'Job',
    });
    expect(pr.data.number).toBe(1);
    await expect(asAttempt.rest.repos.get({ owner: 'local', repo: 'other' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(asAttempt.rest.repos.createForAuthenticatedUser({ name: 'nope' })).rejects.toMatchObject({
      status: 403,
    });

    await api(
      'POST',
      `/v1/attempts/${assignment.attempt.id}/complete`,
      {
        outcome: 'succeeded',
        lastSeq: 0,
        pullRequest: { url: pr.data.html_url, number: 1, branch: 'coord/job' },
      },
      { runnerId: runner },
    );
    await expect(asAttempt.rest.repos.get({ owner: 'local', repo: 'work' })).rejects.toMatchObject({
      status: 401,
    });
    await expect(git(['fetch', '-q', 'origin'], work)).rejects.toThrow();
  });

  it("accepted repository names such as '-rf' or ending in '.git' (stored as a.git.git)", async () => {
    const { server, dir } = await startServer();
    const create = (name: string) =>
      fetch(`${server.url}/forge/api/user/repos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
    for (const name of ['-rf', '--upload-pack=x', '.hidden', 'a.git', 'b.GIT', '.git']) {
      const res = await create(name);
      expect(res.status, name).toBe(422);
      const body = (await res.json()) as { message: string; errors: { field: string; message: string }[] };
      expect(body.message).toBe('Validation Failed');
      expect(body.errors[0]).toMatchObject({ field: 'name' });
      expect(body.errors[0]!.message).toMatch(/must not start with '\.' or '-'.*must not end in '\.git'/);
    }
    expect(existsSync(join(dir, 'forge', 'local', 'a.git.git'))).toBe(false);
    expect(existsSync(join(dir, 'forge', 'local', '-rf.git'))).toBe(false);
    // Names that merely contain dots or dashes are fine.
    expect((await create('my.app-2')).status).toBe(201);
    expect((await create('a.gitx')).status).toBe(201);
  });
});
