import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalServer } from '@coord/local-server';
import type { AttemptEvent, JobView } from '@coord/runner-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../src/fake-anthropic.js';
import { pinnedBin, tempDir } from './harness.js';

const cli = fileURLToPath(new URL('../../../apps/cli/bin/coord-runner.js', import.meta.url));
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not there after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the whole system with the real Claude Code', () => {
  it('a repository job: runner process, agent, approval answered through the server, one PR on the forge', async () => {
    const fake = await startFakeAnthropic([
      {
        kind: 'tool',
        name: 'Bash',
        input: { command: 'echo "hello from claude" > hello.txt', description: 'write hello.txt' },
      },
      { kind: 'text', text: 'Wrote hello.txt.' },
    ]);
    stops.push(() => fake.close());
    const dir = await tempDir('coord-claude-pr-');
    const server = await startLocalServer({ dataDir: path.join(dir, 'server') });
    stops.push(() => server.close());
    const api = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${server.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as T;
    };
    const repo = await api<{ clone_url: string; owner: { login: string }; name: string }>(
      'POST',
      '/forge/api/user/repos',
      { name: 'hello-app', auto_init: true },
    );
    const { job } = await api<{ job: JobView }>('POST', '/v1/workspaces/local/jobs', {
      title: 'Say hello in a file',
      instructions: 'Create hello.txt saying hello.',
      context: {
        type: 'repository',
        repository: { cloneUrl: repo.clone_url, owner: repo.owner.login, name: repo.name },
      },
      agent: { id: 'claude-code' },
    });

    // The runner as its own process, with nobody at its terminal: the approval comes from the web.
    const runner = promisify(execFile)(
      process.execPath,
      [
        cli,
        'start',
        '--once',
        '--json',
        '--server',
        server.url,
        '--token-file',
        path.join(dir, 'server', 'token'),
        '--state-dir',
        path.join(dir, 'runner'),
      ],
      {
        env: {
          PATH: `${pinnedBin}:/usr/bin:/bin`,
          HOME: path.join(dir, 'home'),
          ANTHROPIC_BASE_URL: fake.url,
          ANTHROPIC_API_KEY: 'sk-test-dummy-key',
        },
        timeout: 120_000,
      },
    );

    const events = async () => {
      const view = (await api<{ job: JobView }>('GET', `/v1/jobs/${job.id}`)).job;
      const attempt = view.attempts[0];
      return attempt
        ? (
            await api<{ events: AttemptEvent[] }>(
              'GET',
              `/v1/attempts/${attempt.id}/events?after=0&limit=1000`,
            )
          ).events
        : [];
    };
    const asked = await eventually(async () =>
      (await events()).find((e) => e.type === 'interaction.requested'),
    );
    const { interactionId, request } = asked.data as { interactionId: string; request: { toolName: string } };
    expect(request.toolName).toBe('Bash');
    const answered = await api<{ interaction: { answeredBy: string } }>(
      'POST',
      `/v1/interactions/${interactionId}/answer`,
      {
        answer: { kind: 'approval', decision: 'allow_once' },
        by: 'web',
      },
    );
    expect(answered.interaction.answeredBy).toBe('web');

    await runner;
    const done = (await api<{ job: JobView }>('GET', `/v1/jobs/${job.id}`)).job;
    expect(done.status).toBe('awaiting_review');
    const pr = done.attempts[0]!.pullRequest!;
    expect(pr.number).toBe(1);
    const pulls = await api<Array<{ number: number; changed_files?: number }>>(
      'GET',
      `/forge/api/repos/${repo.owner.login}/${repo.name}/pulls?state=all`,
    );
    expect(pulls.map((p) => p.number)).toEqual([1]);
    const pull = await api<{ changed_files: number; additions: number }>(
      'GET',
      `/forge/api/repos/${repo.owner.login}/${repo.name}/pulls/1`,
    );
    // hello.txt, one line: the command ran, after the web allowed it.
    expect(pull).toMatchObject({ changed_files: 1, additions: 1 });
  }, 150_000);
});
