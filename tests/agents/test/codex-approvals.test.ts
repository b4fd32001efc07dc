import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionOutputs, requestText } from '../src/fake-openai.js';
import { codexHarness, fakeKey, ofType } from './codex-harness.js';

const patch = (file: string, line: string): string =>
  `apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: ${file}\n+${line}\n*** End Patch\nEOF\n`;

describe('Codex approvals (real CLI, fake model)', () => {
  it('runs a command once a person approves it', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'echo approved > out.txt' } },
      { kind: 'text', text: 'Wrote out.txt.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    expect(asked).toMatchObject({
      toolName: 'exec_command',
      kind: 'shell',
      summary: "exec_command: /bin/bash -lc 'echo approved > out.txt'",
      input: { command: "/bin/bash -lc 'echo approved > out.txt'", cwd: h.workDir },
    });
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    const result = await run.result;

    expect(result).toMatchObject({ status: 'completed', summary: 'Wrote out.txt.', error: null });
    expect(await readFile(path.join(h.workDir, 'out.txt'), 'utf8')).toBe('approved\n');
    expect(events.find(ofType('tool.completed'))).toMatchObject({
      toolCallId: asked.toolCallId,
      status: 'ok',
      exitCode: 0,
    });
    const started = events.find(ofType('session.started'));
    expect(result.sessionId).toBe(started?.sessionId);
    expect(h.fake.modelRequests()[0]?.headers['x-codex-window-id']).toContain(result.sessionId);
    // The key went in an environment variable, as a bearer token, and nowhere in the events.
    expect(h.fake.modelRequests()[0]?.headers.authorization).toBe(`Bearer ${fakeKey}`);
    expect(JSON.stringify(events)).not.toContain(fakeKey);
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: true });
  });

  it('edits a file once a person approves the patch, with the diff in the request', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: patch('notes.md', '# Notes') } },
      { kind: 'text', text: 'Wrote the notes.' },
    ]);
    const { run, until } = h.start();
    const asked = await until(ofType('approval.requested'));
    expect(asked).toMatchObject({
      toolName: 'apply_patch',
      kind: 'edit',
      summary: 'apply_patch: add notes.md',
      input: {
        changes: [{ path: path.join(h.workDir, 'notes.md'), kind: { type: 'add' }, diff: '# Notes\n' }],
      },
    });
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    expect((await run.result).status).toBe('completed');
    expect(await readFile(path.join(h.workDir, 'notes.md'), 'utf8')).toBe('# Notes\n');
  });

  it('leaves the disk untouched when a person denies a command, and the note reaches the model', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'echo nope > denied.txt' } },
      { kind: 'text', text: 'Understood, I did not write it.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'deny', message: 'not in this repo' });
    const result = await run.result;

    expect(result.status).toBe('completed');
    expect(existsSync(path.join(h.workDir, 'denied.txt'))).toBe(false);
    expect(events.find(ofType('tool.completed'))).toMatchObject({
      toolCallId: asked.toolCallId,
      status: 'denied',
    });
    const next = h.fake.modelRequests()[1]!;
    expect(JSON.stringify(functionOutputs(next))).toContain('rejected by user');
    expect(requestText(next)).toContain('not in this repo');
  });

  it('allows for the session: the same command runs again without asking', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'echo again >> log.txt' } },
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'echo again >> log.txt' } },
      { kind: 'text', text: 'Ran it twice.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_session' });
    expect(await run.result).toMatchObject({ status: 'completed', summary: 'Ran it twice.' });
    expect(events.filter(ofType('approval.requested'))).toHaveLength(1);
    expect(await readFile(path.join(h.workDir, 'log.txt'), 'utf8')).toBe('again\nagain\n');
  });

  it('leaves the file unwritten when a person denies the patch', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: patch('secrets.md', 'nope') } },
      { kind: 'text', text: 'I left it.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    expect(asked.kind).toBe('edit');
    run.respond(asked.requestId, { kind: 'approval', decision: 'deny', message: 'no secrets file' });
    expect((await run.result).status).toBe('completed');
    expect(existsSync(path.join(h.workDir, 'secrets.md'))).toBe(false);
    expect(events.find(ofType('tool.completed'))).toMatchObject({
      toolCallId: asked.toolCallId,
      status: 'denied',
    });
    expect(requestText(h.fake.modelRequests()[1]!)).toContain('denied that file change: no secrets file');
  });

  it("gives the agent's commands none of the runner's secrets", async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'env > env.txt' } },
      { kind: 'text', text: 'Printed.' },
    ]);
    const { run, until } = h.start();
    run.respond((await until(ofType('approval.requested'))).requestId, {
      kind: 'approval',
      decision: 'allow_once',
    });
    expect((await run.result).status).toBe('completed');
    const env = await readFile(path.join(h.workDir, 'env.txt'), 'utf8');
    expect(env).not.toContain('runner-secret-token');
    expect(env).not.toContain(fakeKey);
  });
});

describe("Codex and the user's own sign-in (real CLI, fake model)", () => {
  it("carries the user's auth.json into the job's CODEX_HOME for the run, and none of their config", async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'true' } },
      { kind: 'text', text: 'Done.' },
    ]);
    await writeFile(path.join(h.userHome, 'auth.json'), '{"OPENAI_API_KEY":"sk-user-login"}');
    await writeFile(
      path.join(h.userHome, 'config.toml'),
      '[mcp_servers.slow]\ncommand = "/nonexistent/mcp"\n',
    );
    const { run, until } = h.start();
    const asked = await until(ofType('approval.requested'));
    const [home] = await readdir(h.homes);
    const jobHome = path.join(h.homes, home!);
    // While the run is live, Codex has the sign-in, private to the runner's user.
    expect(await readFile(path.join(jobHome, 'auth.json'), 'utf8')).toContain('sk-user-login');
    expect((await stat(path.join(jobHome, 'auth.json'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(jobHome, 'config.toml'), 'utf8')).not.toContain('mcp_servers');
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    expect((await run.result).status).toBe('completed');
    expect(existsSync(path.join(jobHome, 'auth.json'))).toBe(false);
  });
});
