import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { api, startCliServer, type CliServer } from './helpers/server.js';

describe('a reviewer requests changes (built CLI processes, local server, forge, demo agent)', () => {
  it('`jobs request-changes` gives the job a second attempt that updates the same pull request', async () => {
    const dir = tempDir('request-changes');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server: CliServer = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    const connection = ['--server', server.url, '--token-file', server.tokenFile];
    const repo = await api<{ clone_url: string; owner: { login: string }; name: string }>(
      server,
      'POST',
      '/forge/api/user/repos',
      { name: 'review-app', auto_init: true },
    );
    const jobFile = join(dir.path, 'job.json');
    writeFileSync(
      jobFile,
      JSON.stringify({
        title: 'Keep a log',
        instructions: 'Append a line to log.txt.',
        context: {
          type: 'repository',
          repository: { cloneUrl: repo.json.clone_url, owner: repo.json.owner.login, name: repo.json.name },
        },
        agent: {
          id: 'demo',
          plan: [
            {
              type: 'run',
              // Each attempt adds a line: a revision has something new to commit.
              command: [process.execPath, '-e', "require('fs').appendFileSync('log.txt', 'attempt\\n')"],
            },
            { type: 'say', text: 'Appended to log.txt.' },
          ],
        },
      }),
    );
    const submitted = await runCli(['jobs', 'submit', jobFile, ...connection], { env });
    const jobId = (JSON.parse(String(submitted.stdout)) as { id: string }).id;
    const runOnce = () =>
      runCli(['start', ...connection, '--state-dir', join(dir.path, 'runner'), '--once', '--json'], { env });

    expect((await runOnce()).exitCode).toBe(0);
    const reviewed = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
    expect(reviewed.status).toBe('awaiting_review');
    const pr = reviewed.attempts[0]!.pullRequest!;

    const noFeedback = await runCli(['jobs', 'request-changes', jobId, ...connection], { env });
    expect(noFeedback.exitCode).not.toBe(0);
    expect(String(noFeedback.all)).toContain('exactly one of --feedback <text> or --feedback-file <file>');
    const requested = await runCli(
      ['jobs', 'request-changes', jobId, '--feedback', 'Log twice, please.', ...connection],
      { env },
    );
    expect(requested.exitCode, String(requested.all)).toBe(0);
    expect(JSON.parse(String(requested.stdout))).toEqual({ id: jobId, status: 'ready' });

    const second = await runOnce();
    expect(second.exitCode, String(second.all)).toBe(0);
    const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
    expect(job.status).toBe('awaiting_review');
    expect(job.attempts.map((a) => [a.status, a.feedback, a.pullRequest?.number])).toEqual([
      ['succeeded', null, pr.number],
      ['succeeded', 'Log twice, please.', pr.number],
    ]);
    const pull = await api<{ body: string; head: { ref: string } }>(
      server,
      'GET',
      `/forge/api/repos/${repo.json.owner.login}/${repo.json.name}/pulls/${pr.number}`,
    );
    expect(pull.json.head.ref).toBe(pr.branch);
    expect(pull.json.body).toContain('- Attempt 1: succeeded');
    // The runner passes the job's page on: the pull request links back to it.
    expect(pull.json.body).toContain(`${server.url}/jobs/${jobId}`);
    expect(pull.json.body).toContain(
      '- Attempt 2 (this one): pushed — answering review "Log twice, please."',
    );
    const pulls = await api<unknown[]>(
      server,
      'GET',
      `/forge/api/repos/${repo.json.owner.login}/${repo.json.name}/pulls?state=all`,
    );
    expect(pulls.json).toHaveLength(1);
  });
});
