import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptEvent, JobSubmission, JobView } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { api, startCliServer, type CliServer } from './helpers/server.js';

/** A `run` step: node code, with no shell in between. */
const node = (code: string) => ({ type: 'run' as const, command: [process.execPath, '-e', code] });

async function setup(name: string) {
  const dir = tempDir(name);
  onCleanup(dir.cleanup);
  const env = cliEnv(join(dir.path, 'home'));
  const server: CliServer = await startCliServer(join(dir.path, 'server'), env);
  onCleanup(() => server.stop());
  const stateDir = join(dir.path, 'runner');
  // As a user sets a runner up: the token is saved in the state dir's credentials file.
  const login = await runCli(
    ['login', '--server', server.url, '--token-file', server.tokenFile, '--state-dir', stateDir],
    { env },
  );
  expect(login.exitCode, String(login.all)).toBe(0);
  const credentials = join(stateDir, 'credentials');
  const submit = async (submission: JobSubmission) =>
    (await api<{ job: JobView }>(server, 'POST', '/v1/workspaces/local/jobs', submission)).json.job;
  const runOnce = (extraEnv: Record<string, string> = {}) =>
    runCli(['start', '--state-dir', stateDir, '--once', '--json'], {
      env: { ...env, ...extraEnv },
      timeoutMs: 30_000,
    });
  const finished = async (jobId: string) => {
    const job = (await api<{ job: JobView }>(server, 'GET', `/v1/jobs/${jobId}`)).json.job;
    const attempt = job.attempts[0]!;
    const page = await api<{ events: AttemptEvent[] }>(
      server,
      'GET',
      `/v1/attempts/${attempt.id}/events?after=0&limit=1000`,
    );
    return { job, attempt, events: JSON.stringify(page.json.events) };
  };
  return { dir, env, server, stateDir, credentials, submit, runOnce, finished };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("the runner's secrets", () => {
  it("the runner's token read by a run step appears nowhere: events, spool, pushed branch", async () => {
    const { dir, server, stateDir, credentials, submit, runOnce, finished } = await setup('token-leak');
    const repo = await api<{ clone_url: string; owner: { login: string }; name: string }>(
      server,
      'POST',
      '/forge/api/user/repos',
      { name: 'leaky', auto_init: true },
    );
    const read = `require('fs').readFileSync(${JSON.stringify(credentials)}, 'utf8').trim()`;
    const job = await submit({
      title: 'Leak the runner token',
      instructions: 'Read the runner state dir.',
      context: {
        type: 'repository',
        repository: { cloneUrl: repo.json.clone_url, owner: repo.json.owner.login, name: repo.json.name },
      },
      agent: {
        id: 'demo',
        plan: [
          // A shell step cannot be kept out of the state dir: what it prints is redacted instead.
          node(`console.log('the token is ' + ${read})`),
          node(`require('fs').writeFileSync('leaked.txt', ${read} + '\\n')`),
        ],
      },
      routing: { mode: 'any' },
    });

    const run = await runOnce();
    const { job: view, attempt, events } = await finished(job.id);
    // The step ran and printed, redacted.
    expect(events).toContain('the token is ***');
    expect(events).not.toContain(server.token);
    expect(String(run.all)).not.toContain(server.token);
    // The pre-push scan refused the commit that adds the runner's token.
    expect(view.status).toBe('failed');
    expect(attempt.error).toMatchObject({ code: 'git.secret_detected' });
    expect(attempt.error!.message).toContain('leaked.txt');
    const bare = join(dir.path, 'server', 'forge', repo.json.owner.login, `${repo.json.name}.git`);
    const history = execFileSync('git', ['--git-dir', bare, 'log', '--all', '-p'], { encoding: 'utf8' });
    expect(history).not.toContain(server.token);
    // Nothing the runner wrote besides its credentials holds the token: not the spool, not the mirror.
    for (const file of filesUnder(stateDir)) {
      if (file === credentials || file.includes(`${join('workspace', '')}`)) continue;
      expect(readFileSync(file).includes(server.token), file).toBe(false);
    }
  });

  it('a ghp_ token in agent output is redacted in events, even split across two output chunks', async () => {
    const { submit, runOnce, finished } = await setup('ghp-output');
    const part = 'Ab1Cd2Ef3';
    const token = `ghp_${part.repeat(4)}`;
    const apiKey = `gemini-key-${'x7'.repeat(12)}`;
    const job = await submit({
      title: 'Print tokens',
      instructions: 'Print.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          { type: 'say', text: `I will print ${token}` },
          // Two writes far apart in time reach the runner as two output chunks, each holding half
          // of the token (built at run time, so the command line shows neither half).
          node(
            `const p = '${part}'; process.stdout.write('key ghp_' + p.repeat(2)); setTimeout(() => process.stdout.write(p.repeat(2) + ' and ${apiKey}\\n'), 300)`,
          ),
        ],
      },
      routing: { mode: 'any' },
    });
    const run = await runOnce({ GEMINI_API_KEY: apiKey });
    expect(run.exitCode, String(run.all).slice(-2000)).toBe(0);
    const { events } = await finished(job.id);
    expect(events).toContain('ghp_***');
    expect(events).toContain('key ghp_*** and ***');
    for (const hidden of [token, part.repeat(2), apiKey]) {
      expect(events).not.toContain(hidden);
      expect(String(run.all)).not.toContain(hidden);
    }
  });

  it('planted secrets appear nowhere: environment-named values in any encoding, a private key over two chunks, a JWT', async () => {
    const { dir, stateDir, submit, runOnce, finished } = await setup('planted');
    const deployToken = `deploy-${'q9'.repeat(14)}`;
    const dbPassword = `pw+/=${'Zx'.repeat(10)}`;
    const keyBody = Array.from(
      { length: 24 },
      (_, i) => `${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'}${String(i).padStart(32, 'k')}`,
    );
    const privateKey = `-----BEGIN PRIVATE KEY-----\n${keyBody.join('\n')}\n-----END PRIVATE KEY-----`;
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLXVzZXIifQ.${'s1gnatureXYZ'.repeat(3)}`;
    // What the agent comes across, in a file it reads: the runner never handed these to it.
    const planted = join(dir.path, 'planted.json');
    writeFileSync(
      planted,
      JSON.stringify({
        lines: [
          `token ${deployToken}`,
          `basic ${Buffer.from(`ci:${deployToken}`).toString('base64')}`,
          `url https://db.example/?password=${encodeURIComponent(dbPassword)}`,
          `b64 ${Buffer.from(dbPassword).toString('base64')}`,
          `jwt ${jwt}`,
        ],
        keyHalves: [privateKey.slice(0, 700), privateKey.slice(700)],
      }),
    );
    const job = await submit({
      title: 'Print what it found',
      instructions: 'Print.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          node(
            `const p = JSON.parse(require('fs').readFileSync(${JSON.stringify(planted)}, 'utf8')); console.log(p.lines.join('\\n')); process.stdout.write(p.keyHalves[0]); setTimeout(() => process.stdout.write(p.keyHalves[1] + '\\ndone\\n'), 300)`,
          ),
        ],
      },
      routing: { mode: 'any' },
    });
    const run = await runOnce({ ACME_DEPLOY_TOKEN: deployToken, DB_PASSWORD: dbPassword });
    expect(run.exitCode, String(run.all).slice(-2000)).toBe(0);
    const { events } = await finished(job.id);
    expect(events).toContain('token ***');
    expect(events).toContain('-----BEGIN PRIVATE KEY-----***');
    expect(events).toContain('done');
    const hidden = [
      deployToken,
      dbPassword,
      encodeURIComponent(dbPassword),
      jwt.slice(4),
      ...keyBody.map((l) => l.slice(-32)),
    ];
    hidden.push(Buffer.from(dbPassword).toString('base64').slice(0, 20));
    hidden.push(Buffer.from(`ci:${deployToken}`).toString('base64').slice(8, 28));
    for (const secret of hidden) {
      expect(events, secret).not.toContain(secret);
      expect(String(run.all), secret).not.toContain(secret);
    }
    // Nor on disk: the runner's spool and state, the server's data.
    for (const file of [...filesUnder(stateDir), ...filesUnder(join(dir.path, 'server'))]) {
      const content = readFileSync(file);
      for (const secret of hidden) expect(content.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });

  it("a read step of the runner's credentials is refused with a clear message", async () => {
    const { server, credentials, submit, runOnce, finished } = await setup('read-refused');
    const job = await submit({
      title: 'Read the credentials',
      instructions: 'Read.',
      context: { type: 'local' },
      agent: { id: 'demo', plan: [{ type: 'read', path: credentials }] },
      routing: { mode: 'any' },
    });
    await runOnce();
    const { job: view, attempt, events } = await finished(job.id);
    expect(view.status).toBe('failed');
    expect(attempt.error?.message).toContain("inside the runner's private state");
    expect(events).not.toContain(server.token);
  });

  it("an output file holding the runner's token is not uploaded and the job fails saying why", async () => {
    const { server, credentials, submit, runOnce, finished } = await setup('output-leak');
    const job = await submit({
      title: 'Leak through an output file',
      instructions: 'Copy.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [node(`require('fs').copyFileSync(${JSON.stringify(credentials)}, 'out.txt')`)],
      },
      routing: { mode: 'any' },
    });
    await runOnce();
    const { job: view, attempt, events } = await finished(job.id);
    expect(view.status).toBe('failed');
    expect(attempt.error).toMatchObject({ code: 'artifact.secret_detected' });
    expect(attempt.error!.message).toContain('out.txt');
    expect(attempt.outputs ?? []).toEqual([]);
    const artifacts = await api<{ artifacts: unknown[] }>(
      server,
      'GET',
      `/v1/attempts/${attempt.id}/artifacts`,
    );
    expect(artifacts.json.artifacts).toEqual([]);
    expect(events).not.toContain(server.token);
  });
});
