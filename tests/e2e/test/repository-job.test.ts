import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptEvent, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { api, startCliServer, type CliServer } from './helpers/server.js';

describe('a repository job end to end (built CLI processes, local server, forge, demo agent)', () => {
  it('ends in Awaiting Review with a PR whose branch holds the agent commit, and every event on the server', async () => {
    const dir = tempDir('repo-job');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server: CliServer = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());

    // A repository on the local forge, created through its GitHub-compatible API.
    const repo = await api<{
      clone_url: string;
      owner: { login: string };
      name: string;
      default_branch: string;
    }>(server, 'POST', '/forge/api/user/repos', { name: 'e2e-app', auto_init: true });
    expect(repo.status).toBe(201);

    const jobFile = join(dir.path, 'job.json');
    writeFileSync(
      jobFile,
      JSON.stringify({
        title: 'Add a hello file',
        instructions: 'Write hello.txt and docs/notes.md, then list them.',
        context: {
          type: 'repository',
          repository: { cloneUrl: repo.json.clone_url, owner: repo.json.owner.login, name: repo.json.name },
        },
        agent: {
          id: 'demo',
          plan: [
            { type: 'say', text: 'Writing two files.' },
            { type: 'write', path: 'hello.txt', content: 'hello from the demo agent\n' },
            { type: 'write', path: 'docs/notes.md', content: '# Notes\n\nWritten by the demo agent.\n' },
            {
              type: 'run',
              command: [
                process.execPath,
                '-e',
                "console.log(require('fs').readFileSync('hello.txt','utf8'))",
              ],
            },
            { type: 'say', text: 'Wrote hello.txt and docs/notes.md.' },
          ],
        },
      }),
    );
    const submitted = await runCli(
      ['jobs', 'submit', jobFile, '--server', server.url, '--token-file', server.tokenFile],
      { env },
    );
    expect(submitted.exitCode, String(submitted.all)).toBe(0);
    const jobId = (JSON.parse(String(submitted.stdout)) as { id: string }).id;

    const run = await runCli(
      [
        'start',
        '--server',
        server.url,
        '--token-file',
        server.tokenFile,
        '--state-dir',
        join(dir.path, 'runner'),
        '--once',
        '--json',
      ],
      { env },
    );
    expect(run.exitCode, String(run.all)).toBe(0);
    const printed = String(run.stdout)
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as { type: string; jobId?: string; event?: { type: string; text?: string } },
      );
    // The agent's output was shown live.
    expect(printed.some((e) => e.type === 'job.agent' && e.event?.type === 'message.completed')).toBe(true);

    const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
    expect(job.status).toBe('awaiting_review');
    expect(job.attempts).toHaveLength(1);
    const attempt = job.attempts[0]!;
    expect(attempt.status).toBe('succeeded');
    const pr = attempt.pullRequest!;
    expect(pr.url).toMatch(/\/pull\/\d+$/);

    // The forge holds the PR and the branch holds the agent's commit.
    const pulls = await api<Array<{ number: number; head: { ref: string; sha: string } }>>(
      server,
      'GET',
      `/forge/api/repos/${repo.json.owner.login}/${repo.json.name}/pulls?head=${repo.json.owner.login}:${pr.branch}&state=open`,
    );
    expect(pulls.json).toHaveLength(1);
    expect(pulls.json[0]!.number).toBe(pr.number);
    // Like GitHub, the diff numbers come with a single pull, not with the list.
    const pull = await api<{ changed_files: number; additions: number; head: { ref: string } }>(
      server,
      'GET',
      `/forge/api/repos/${repo.json.owner.login}/${repo.json.name}/pulls/${pr.number}`,
    );
    expect(pull.json).toMatchObject({ changed_files: 2, head: { ref: pr.branch } });
    const bare = join(dir.path, 'server', 'forge', repo.json.owner.login, `${repo.json.name}.git`);
    const git = (...args: string[]) =>
      execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' });
    expect(git('rev-parse', `refs/heads/${pr.branch}`).trim()).toBe(pulls.json[0]!.head.sha);
    expect(git('show', `refs/heads/${pr.branch}:hello.txt`)).toBe('hello from the demo agent\n');
    expect(git('log', '-1', '--format=%B', `refs/heads/${pr.branch}`)).toContain(`Coord-Job: ${jobId}`);
    expect(
      git('diff', '--name-only', `${repo.json.default_branch}...${pr.branch}`).trim().split('\n').sort(),
    ).toEqual(['docs/notes.md', 'hello.txt']);

    // Every event of the attempt, seqs 1..n with no gap, the last one the finish.
    const page = await api<{ events: AttemptEvent[]; ack: number }>(
      server,
      'GET',
      `/v1/attempts/${attempt.id}/events?after=0&limit=1000`,
    );
    const seqs = page.json.events.map((e) => e.seq);
    expect(seqs.length).toBeGreaterThan(5);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(page.json.ack).toBe(seqs.length);
    expect(page.json.events.at(-1)!.type).toBe('job.finished');
    expect(page.json.events.map((e) => e.type)).toContain('job.agent');

    // The delivered attempt's work tree is gone (the work is in the PR); the mirror stays for the next job.
    expect(
      readdirSync(join(dir.path, 'runner', 'workspace', 'repositories')).filter((n) => !n.startsWith('.')),
    ).toEqual([]);
    expect(readdirSync(join(dir.path, 'runner', 'mirrors')).length).toBe(1);

    // No secret reached the runner's output or anything it wrote to disk (spool, mirror, work tree).
    expect(String(run.all)).not.toContain(server.token);
    const written = filesUnder(join(dir.path, 'runner'));
    expect(written.length).toBeGreaterThan(10);
    for (const file of written) expect(readFileSync(file).includes(server.token), file).toBe(false);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
