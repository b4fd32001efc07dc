import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { describe, expect, it } from 'vitest';
import { onCleanup } from './helpers/cleanup.js';
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
import { api } from './helpers/server.js';

/** What a terminal acts on: ESC, BEL, C1 controls, backspace, carriage return, bidi overrides. */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

// A title that renames the terminal window, and output that erases lines, recolours and overwrites.
const hostileTitle = 'Fix \u001b]0;pwned\u0007bug\u001b[2K\u009b1A';
const hostileScript =
  'process.stdout.write("\\u001b]0;owned\\u0007line one\\n\\u001b[1A\\u001b[2Kfake: all tests passed\\rreal\\n")';

describe('terminal escapes from a job and its agent', () => {
  it('start and jobs list print job titles and agent output with control characters neutralised', async () => {
    const dir = tempDir('escapes');
    onCleanup(dir.cleanup);
    const server = await startLocalServer({ dataDir: join(dir.path, 'server') });
    onCleanup(() => server.close());
    const tokenFile = join(dir.path, 'server', 'token');
    const env = cliEnv(join(dir.path, 'home'));
    const connection = ['--server', server.url, '--token-file', tokenFile];

    const submitted = await api<{ job: { id: string } }>(server, 'POST', '/v1/workspaces/local/jobs', {
      title: hostileTitle,
      instructions: 'Print something.',
      context: { type: 'local' },
      agent: {
        id: 'demo',
        plan: [
          { type: 'say', text: 'Done \u001b[8mhidden\u001b[0m \u202eevil' },
          { type: 'run', command: [process.execPath, '-e', hostileScript] },
        ],
      },
      routing: { mode: 'any' },
    });
    expect(submitted.status).toBe(201);

    // Plain lines (--text): piped, start would print NDJSON, which escapes by itself.
    const run = await runCli(
      ['start', '--once', '--text', ...connection, '--state-dir', join(dir.path, 'runner')],
      {
        env,
        timeoutMs: 60_000,
      },
    );
    const started = String(run.stdout);
    expect(run.exitCode, String(run.all)).toBe(0);
    expect(started).not.toMatch(ACTIVE);
    // What the job said is still readable, only defused.
    expect(started).toContain('Fix bug');
    expect(started).toContain('line one');
    expect(started).toContain('fake: all tests passed');
    expect(started).toContain('real');
    expect(started).toContain('Done hidden \\u{202e}evil');

    const list = await runCli(['jobs', 'list', ...connection], { env });
    expect(list.exitCode, String(list.all)).toBe(0);
    expect(String(list.stdout)).not.toMatch(ACTIVE);
    expect(String(list.stdout)).toContain(`${submitted.json.job.id}  done`);
    expect(String(list.stdout)).toContain('Fix bug');

    const json = await runCli(['jobs', 'list', '--json', ...connection], { env });
    expect(String(json.stdout)).not.toMatch(ACTIVE);
    const jobs = JSON.parse(String(json.stdout)) as { spec: { title: string } }[];
    // --json keeps the exact value, escaped as JSON.
    expect(jobs[0]!.spec.title).toBe(hostileTitle);
  });
});
