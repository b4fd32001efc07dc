import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { AttemptEvent, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, eventually, processGone, runCli, startCli, tempDir } from './helpers/cli.js';
import { api, startCliServer } from './helpers/server.js';

interface Pull {
  number: number;
  state: string;
  head: { ref: string };
}

/**
 * The agent's long step: on its first run it leaves a marker in the work tree's `.git` (never
 * committed), prints its pid and works for a minute; run again in the same work dir, it finds the
 * marker and finishes at once. A fresh clone would not have the marker.
 */
const turn = [
  process.execPath,
  '-e',
  [
    "const fs = require('node:fs');",
    "if (fs.existsSync('.git/first-turn')) { console.log('resumed in the same work dir'); process.exit(0); }",
    "fs.writeFileSync('.git/first-turn', ''); console.log('first turn pid ' + process.pid);",
    'setTimeout(() => {}, 60000);',
  ].join(' '),
];

/** `start` on the server with its token, in `stateDir`, printing NDJSON. */
function runnerArgs(server: { url: string; tokenFile: string }, stateDir: string): string[] {
  return [
    'start',
    '--server',
    server.url,
    '--token-file',
    server.tokenFile,
    '--state-dir',
    stateDir,
    '--json',
  ];
}

/** Starts the runner and kills it (-9) once its agent's first turn runs; the turn's pid. */
async function killDuringFirstTurn(args: string[], env: Record<string, string>): Promise<number> {
  const first = startCli(args, env);
  onCleanup(() => void first.child.kill('SIGKILL'));
  const pid = Number(
    await eventually(() => /first turn pid (\d+)/.exec(first.output())?.[1], 30_000, 'the first turn'),
  );
  first.child.kill('SIGKILL');
  await first.child;
  return pid;
}

describe('a runner killed during an agent turn and started again within the lease (built CLI processes)', () => {
  it('takes the same attempt up again: the agent session resumed in its work dir, one event seq, one commit, one PR', async () => {
    const dir = tempDir('reattach');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const dataDir = join(dir.path, 'server');
    // The server runs in its own process, with the default lease (60 s TTL).
    const server = await startCliServer(dataDir, env);
    onCleanup(() => server.stop());
    const repo = await api<{ clone_url: string; owner: { login: string }; name: string }>(
      server,
      'POST',
      '/forge/api/user/repos',
      { name: 'app', auto_init: true },
    );
    expect(repo.status).toBe(201);
    const owner = repo.json.owner.login;
    const bare = join(dataDir, 'forge', owner, 'app.git');
    const git = (...args: string[]) =>
      execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' });

    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Add a hello file',
      instructions: 'Write hello.txt, then work for a while.',
      context: { type: 'repository', repository: { cloneUrl: repo.json.clone_url, owner, name: 'app' } },
      agent: {
        id: 'demo',
        plan: [
          { type: 'write', path: 'hello.txt', content: 'hello from the demo agent\n' },
          { type: 'run', command: turn },
          { type: 'say', text: 'Wrote hello.txt.' },
        ],
      },
    });
    expect(submitted.status).toBe(201);
    const jobId = submitted.json.job.id;
    const args = runnerArgs(server, join(dir.path, 'runner'));

    const pid = await killDuringFirstTurn(args, env);
    const killedAt = Date.now();
    // The dead runner's agent went with it (the watchdog): the resumed agent is a new process.
    await processGone(pid);

    const second = await runCli([...args, '--once'], { env, timeoutMs: 60_000 });
    expect(second.exitCode, String(second.all)).toBe(0);
    // Well inside the 60 s lease: nothing waited for it to expire.
    expect(Date.now() - killedAt).toBeLessThan(45_000);

    // The same attempt finished: no requeue, no second attempt.
    const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
    expect(job.status).toBe('awaiting_review');
    expect(job.attempts.map((a) => [a.number, a.status])).toEqual([[1, 'succeeded']]);
    const attempt = job.attempts[0]!;

    // One continuous seq on the server: 1..N, no gap, no duplicate.
    const events = (
      await api<{ events: AttemptEvent[] }>(server, 'GET', `/v1/attempts/${attempt.id}/events?limit=1000`)
    ).json.events;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'job.claimed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'job.finished')).toHaveLength(1);
    const states = events.flatMap((e) =>
      e.type === 'job.state' ? [(e.data as { state: string }).state] : [],
    );
    expect(states).toEqual(['preparing', 'running', 'running', 'publishing', 'reporting']);

    // The agent was resumed with its session, in the same work dir.
    const sessions = events.flatMap((e) => {
      const event = (e.data as { event?: { type: string; sessionId?: string; resumed?: boolean } }).event;
      return e.type === 'job.agent' && event?.type === 'session.started' ? [event] : [];
    });
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toMatchObject({ resumed: false });
    expect(sessions[1]).toMatchObject({ sessionId: sessions[0]!.sessionId, resumed: true });
    expect(attempt.sessionId).toBe(sessions[0]!.sessionId);
    expect(JSON.stringify(events)).toContain('resumed in the same work dir');
    expect(JSON.stringify(events)).toContain(`resuming agent session ${sessions[0]!.sessionId}`);

    // Exactly one commit on the job's branch, and one pull request.
    const pulls = (await api<Pull[]>(server, 'GET', `/forge/api/repos/${owner}/app/pulls?state=all`)).json;
    expect(pulls).toHaveLength(1);
    const branch = attempt.pullRequest!.branch;
    expect(pulls[0]).toMatchObject({
      number: attempt.pullRequest!.number,
      state: 'open',
      head: { ref: branch },
    });
    expect(git('rev-list', '--count', `main..${branch}`).trim()).toBe('1');
    expect(git('show', `${branch}:hello.txt`)).toBe('hello from the demo agent\n');
  });

  it('stops what the killed run left running before the agent starts again: the two never overlap', async () => {
    const dir = tempDir('reattach-leftovers');
    onCleanup(dir.cleanup);
    const env = cliEnv(join(dir.path, 'home'));
    const server = await startCliServer(join(dir.path, 'server'), env);
    onCleanup(() => server.stop());
    // The first turn ignores SIGTERM (a stubborn dev server, say), so the killed run's watchdog
    // would end it only after its grace; the resumed turn says whether it is still alive.
    const stubborn = [
      process.execPath,
      '-e',
      [
        "const fs = require('node:fs');",
        "if (fs.existsSync('first-turn')) { const pid = Number(fs.readFileSync('first-turn', 'utf8'));",
        // A killed process nobody reaped yet is a zombie: it counts as gone.
        "let alive = false; try { alive = !/^\\d+ \\(.*\\) Z/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch {}",
        // Joined at run time: the command itself (in the tool call's event) never holds the result.
        "console.log(['first turn', alive ? 'alive' : 'gone'].join(': ')); process.exit(0); }",
        "process.on('SIGTERM', () => {}); fs.writeFileSync('first-turn', String(process.pid));",
        "console.log('first turn pid ' + process.pid); setInterval(() => {}, 1000);",
      ].join(' '),
    ];
    const submitted = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: 'Work stubbornly',
      instructions: 'Run a process that ignores SIGTERM.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          { type: 'run', command: stubborn },
          { type: 'say', text: 'Done.' },
        ],
      },
    });
    const args = runnerArgs(server, join(dir.path, 'runner'));
    const pid = await killDuringFirstTurn(args, env);
    // Started again at once, while the first turn still runs.
    const second = await runCli([...args, '--once'], { env, timeoutMs: 60_000 });
    expect(second.exitCode, String(second.all)).toBe(0);
    await processGone(pid);
    const view = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${submitted.json.job.id}`)).json.job;
    expect(view.attempts.map((a) => [a.number, a.status])).toEqual([[1, 'succeeded']]);
    const events = JSON.stringify(
      (
        await api<{ events: AttemptEvent[] }>(
          server,
          'GET',
          `/v1/attempts/${view.attempts[0]!.id}/events?limit=1000`,
        )
      ).json.events,
    );
    expect(events).toContain('the earlier run of this attempt left running');
    expect(events).toContain('first turn: gone');
    expect(events).not.toContain('first turn: alive');
  });
});
