import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { insertRawJob, startLocalServer, type LocalServer } from '@coord/local-server';
import type { JobView } from '@coord/runner-protocol';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { CLI_BIN, cliEnv, eventually, runCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

async function startServer(
  prefix: string,
): Promise<{ dir: string; server: LocalServer; tokenFile: string; env: Record<string, string> }> {
  const dir = tempDir(prefix);
  onCleanup(dir.cleanup);
  const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
  onCleanup(() => server.close());
  return {
    dir: dir.path,
    server,
    tokenFile: join(dir.path, 'server', 'token'),
    env: cliEnv(join(dir.path, 'home')),
  };
}

const goodLocalJob = {
  title: 'A good job',
  instructions: 'Write one file.',
  context: { type: 'local' },
  agent: { id: 'demo', plan: [{ type: 'write', path: 'result.txt', content: 'ok\n' }] },
};

describe('bad input gets a clear error and changes nothing', () => {
  it('a runner given an assignment it cannot parse reports the attempt failed with the reason, and keeps running', async () => {
    const { dir, server, tokenFile, env } = await startServer('bad-assignment');
    const runner = execa(
      process.execPath,
      [
        CLI_BIN,
        'start',
        '--server',
        server.url,
        '--token-file',
        tokenFile,
        '--state-dir',
        join(dir, 'runner'),
        '--json',
      ],
      { env, extendEnv: false, reject: false },
    );
    onCleanup(() => void runner.kill('SIGKILL'));
    await eventually(
      () => (server.parkedClaims() > 0 ? true : undefined),
      20_000,
      'the runner to wait for work',
    );

    // A job whose stored spec no runner can use (as if a newer server had written it).
    const badId = insertRawJob(server.store, {
      spec: { ...goodLocalJob, title: 42, context: { type: 'submarine' } },
      agentId: 'demo',
      routing: { mode: 'any' },
    });
    const bad = await eventually(
      async () => {
        const { json } = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${badId}`);
        return json.job.status === 'failed' ? json.job : undefined;
      },
      20_000,
      'the bad job to fail',
    );
    expect(bad.attempts).toHaveLength(1);
    expect(bad.attempts[0]!.error).toMatchObject({ code: 'job.invalid_payload', retryable: false });
    expect(bad.attempts[0]!.error!.message).toContain('job.spec.title');
    expect(bad.attempts[0]!.error!.message).toContain('job.spec.context');

    // The same runner process then runs a good job.
    const good = await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', goodLocalJob);
    expect(good.status).toBe(201);
    const done = await eventually(
      async () => {
        const { json } = await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${good.json.job.id}`);
        return json.job.status === 'done' ? json.job : undefined;
      },
      20_000,
      'the good job to be done',
    );
    expect(done.attempts[0]!.outputs).toEqual(['result.txt']);
    expect(runner.exitCode).toBeNull(); // still running

    runner.kill('SIGTERM');
    const result = await runner;
    expect(result.exitCode).toBe(0);
    const finished = String(result.stdout)
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as { type: string; jobId?: string; outcome?: string; error?: { code: string } },
      )
      .filter((e) => e.type === 'job.finished');
    expect(finished.map((e) => [e.jobId, e.outcome, e.error?.code ?? null])).toEqual([
      [badId, 'failed', 'job.invalid_payload'],
      [good.json.job.id, 'succeeded', null],
    ]);
  });

  it('a malformed job submission is refused by the CLI with the field named, and nothing is stored', async () => {
    const { dir, server, tokenFile, env } = await startServer('bad-submit');
    const file = join(dir, 'job.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...goodLocalJob,
        title: '',
        context: { type: 'repository', repository: { cloneUrl: 'file:///etc', owner: 'o', name: 'n' } },
      }),
    );
    const result = await runCli(['jobs', 'submit', file, '--server', server.url, '--token-file', tokenFile], {
      env,
    });
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(/title: /);
    expect(String(result.stderr)).toMatch(/context\.repository\.cloneUrl: must be an https or ssh URL/);

    writeFileSync(file, '{"title": "unterminated');
    const broken = await runCli(['jobs', 'submit', file, '--server', server.url, '--token-file', tokenFile], {
      env,
    });
    expect(broken.exitCode).toBe(1);
    expect(String(broken.stderr)).toContain('is not valid JSON');

    // The server refuses the same body with a 400 naming the field, and stores nothing.
    const direct = await api<{ error: { code: string; issues: Array<{ path: string }> } }>(
      server,
      'POST',
      '/v1/workspaces/local/jobs',
      {
        ...goodLocalJob,
        agent: { id: 'demo' },
      },
    );
    expect(direct.status).toBe(400);
    expect(direct.json.error.code).toBe('request.invalid');
    expect(direct.json.error.issues.map((i) => i.path)).toContain('agent.plan');
    const { json } = await api<{ jobs: JobView[] }>(server, 'GET', '/v1/jobs');
    expect(json.jobs).toHaveLength(0);
  });

  it('a runner with a wrong token says so and exits non-zero', async () => {
    const { dir, server, env } = await startServer('bad-token');
    const tokenFile = join(dir, 'wrong-token');
    writeFileSync(tokenFile, 'not-the-right-token-123456\n', { mode: 0o600 });
    const result = await runCli(
      ['start', '--server', server.url, '--token-file', tokenFile, '--state-dir', join(dir, 'runner')],
      { env },
    );
    expect(result.exitCode).toBe(3); // not signed in
    expect(String(result.all)).toMatch(/401/);
    expect(String(result.all)).not.toContain('not-the-right-token-123456');
  });

  it('a runner pointed at a dead server says it cannot reach it', async () => {
    const { dir, server, tokenFile, env } = await startServer('dead-server');
    const url = server.url;
    await server.close();
    const result = await runCli(
      ['start', '--server', url, '--token-file', tokenFile, '--state-dir', join(dir, 'runner')],
      { env },
    );
    expect(result.exitCode).toBe(4); // server unreachable
    expect(String(result.all)).toContain(`Cannot reach the Coord server at ${url}`);
  });
});
