import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, runCli, startCli, tempDir } from './helpers/cli.js';
import { api, startCliServer, type CliServer } from './helpers/server.js';

interface Pull {
  number: number;
  state: string;
  head: { ref: string; sha: string };
}

/** A local server (built CLI) with one repository on its forge, and the runner's command line. */
async function setup(prefix: string) {
  const dir = tempDir(prefix);
  onCleanup(dir.cleanup);
  const env = cliEnv(join(dir.path, 'home'));
  const dataDir = join(dir.path, 'server');
  // A holder, so that cleanup stops whichever server runs last (a test may restart it).
  const live: { server: CliServer } = { server: await startCliServer(dataDir, env) };
  onCleanup(() => live.server.stop());
  const repo = await api<{ clone_url: string; owner: { login: string }; name: string }>(
    live.server,
    'POST',
    '/forge/api/user/repos',
    { name: 'app', auto_init: true },
  );
  expect(repo.status).toBe(201);
  const owner = repo.json.owner.login;
  const name = repo.json.name;
  const bare = join(dataDir, 'forge', owner, `${name}.git`);
  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' });

  const submitted = await api<{ job: JobView }>(live.server, 'POST', '/v1/workspaces/local/jobs', {
    title: 'Add a hello file',
    instructions: 'Write hello.txt.',
    context: {
      type: 'repository',
      repository: { cloneUrl: repo.json.clone_url, owner, name },
    },
    agent: {
      id: 'demo',
      plan: [
        { type: 'write', path: 'hello.txt', content: 'hello from the demo agent\n' },
        { type: 'say', text: 'Wrote hello.txt.' },
      ],
    },
  });
  expect(submitted.status).toBe(201);
  const runnerArgs = () => [
    'start',
    '--server',
    live.server.url,
    '--token-file',
    live.server.tokenFile,
    '--state-dir',
    join(dir.path, 'runner'),
    '--json',
  ];
  return {
    dir: dir.path,
    dataDir,
    env,
    live,
    bare,
    git,
    jobId: submitted.json.job.id,
    runnerArgs,
    job: async () =>
      (await api<{ job: JobView }>(live.server, 'GET', `/v1/jobs/${submitted.json.job.id}`)).json.job,
    pulls: async () =>
      (await api<Pull[]>(live.server, 'GET', `/forge/api/repos/${owner}/${name}/pulls?state=all`)).json,
    openPull: (branch: string) =>
      api<Pull>(live.server, 'POST', `/forge/api/repos/${owner}/${name}/pulls`, {
        title: 'Opened by the attempt that was killed',
        head: branch,
        base: 'main',
      }),
    jobBranch: () =>
      git('for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads/coord/').trim() || undefined,
  };
}

/**
 * Holds the first push the forge receives in `hook` until the test releases it; later pushes pass.
 * A `post-receive` hook runs after the branch moved, a `pre-receive` one before (it then refuses).
 * The client's push does not return while the hook runs: a deterministic moment to break things.
 */
function holdFirstPush(bare: string, hook: 'pre-receive' | 'post-receive', dir: string) {
  const held = join(dir, `${hook}.held`);
  const release = join(dir, `${hook}.release`);
  writeFileSync(
    join(bare, 'hooks', hook),
    [
      '#!/bin/sh',
      'cat > /dev/null',
      `[ -e '${held}' ] && exit 0`,
      `touch '${held}'`,
      // Bounded, so that a failing test never leaves it behind for long.
      `i=0; while [ ! -e '${release}' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`,
      `exit ${hook === 'pre-receive' ? 1 : 0}`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return {
    held: () => (existsSync(held) ? true : undefined),
    release: () => writeFileSync(release, ''),
  };
}

describe('publishing a repository job through a crash or an outage (built CLI processes, local server, forge)', () => {
  it.each([
    ['after it pushed the branch', false],
    ['after it pushed the branch and opened the pull request', true],
  ])(
    'a runner killed %s and started again within the lease publishes the same attempt again: no second commit, one PR, Awaiting Review',
    async (_when, prOpened) => {
      const s = await setup('kill-publish');
      const hold = holdFirstPush(s.bare, 'post-receive', s.dir);

      const first = startCli(s.runnerArgs(), s.env);
      onCleanup(() => void first.child.kill('SIGKILL'));
      // The branch is on the forge, the runner still waits for its push to return: kill -9 now.
      await eventually(hold.held, 30_000, 'the push to reach the forge');
      first.child.kill('SIGKILL');
      await first.child;
      hold.release();
      const branch = await eventually(s.jobBranch, 10_000, 'the job branch on the forge');
      const pushed = s.git('rev-parse', `refs/heads/${branch}`).trim();
      let opened: number | null = null;
      if (prOpened) {
        // As if the killed attempt had got as far as opening its PR, but never reported it.
        const pull = await s.openPull(branch);
        expect(pull.status).toBe(201);
        opened = pull.json.number;
      }

      // The same runner starts again: its lease still holds, so it takes the attempt up again at
      // its checkpoint (publishing) and publishes it again, which commits nothing new.
      const second = await runCli([...s.runnerArgs(), '--once'], { env: s.env });
      expect(second.exitCode, String(second.all)).toBe(0);

      const job = await s.job();
      expect(job.status).toBe('awaiting_review');
      expect(job.attempts.map((a) => [a.number, a.status, a.error?.code ?? null])).toEqual([
        [1, 'succeeded', null],
      ]);
      const pulls = await s.pulls();
      expect(pulls).toHaveLength(1);
      expect(pulls[0]).toMatchObject({ state: 'open', head: { ref: branch } });
      if (opened !== null) expect(pulls[0]!.number).toBe(opened);
      expect(job.attempts[0]!.pullRequest).toMatchObject({ number: pulls[0]!.number, branch });
      // What the killed run pushed is the branch: one commit, not committed or pushed twice.
      expect(s.git('rev-parse', `refs/heads/${branch}`).trim()).toBe(pushed);
      expect(s.git('rev-list', '--count', `main..refs/heads/${branch}`).trim()).toBe('1');
      expect(s.git('show', `refs/heads/${branch}:hello.txt`)).toBe('hello from the demo agent\n');
    },
  );

  it('an outage of the server while the runner pushes is retried within the attempt: one attempt, Awaiting Review, one PR', async () => {
    const s = await setup('publish-outage');
    const hold = holdFirstPush(s.bare, 'pre-receive', s.dir);
    const port = Number(new URL(s.live.server.url).port);

    const runner = startCli([...s.runnerArgs(), '--once'], s.env);
    onCleanup(() => void runner.child.kill('SIGKILL'));
    // The push is in flight (held before the branch moves): the server goes down under it.
    await eventually(hold.held, 30_000, 'the push to reach the forge');
    await s.live.server.stop();
    hold.release();
    // Down until the runner has seen the push fail (its connection was cut) and is trying again.
    const failedPushes = () =>
      runner
        .output()
        .split('\n')
        .filter((line) => line.includes('"job.log"') && /push/i.test(line) && /retry/i.test(line)).length;
    await eventually(
      () => (failedPushes() > 0 || runner.output().includes('"job.finished"') ? true : undefined),
      20_000,
      'the runner to retry the push',
    );
    s.live.server = await startCliServer(s.dataDir, s.env, { port });

    const result = await runner.child;
    expect(result.exitCode, runner.output()).toBe(0);
    const job = await s.job();
    expect(job.status).toBe('awaiting_review');
    expect(job.attempts.map((a) => [a.number, a.status])).toEqual([[1, 'succeeded']]);
    const pulls = await s.pulls();
    expect(pulls).toHaveLength(1);
    const branch = job.attempts[0]!.pullRequest!.branch;
    expect(pulls[0]).toMatchObject({ number: job.attempts[0]!.pullRequest!.number, head: { ref: branch } });
    expect(s.git('show', `refs/heads/${branch}:hello.txt`)).toBe('hello from the demo agent\n');
  });
});
