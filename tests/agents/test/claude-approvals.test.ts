import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestText } from '../src/fake-anthropic.js';
import { claudeHarness, ofType } from './harness.js';

describe('Claude Code approvals (real CLI, fake model)', () => {
  it('runs a command once a person approves it', async () => {
    const h = await claudeHarness([
      {
        kind: 'tool',
        name: 'Bash',
        input: { command: 'echo approved > out.txt', description: 'write out.txt' },
      },
      { kind: 'text', text: 'Wrote out.txt.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    expect(asked).toMatchObject({
      toolName: 'Bash',
      kind: 'shell',
      summary: 'Bash: echo approved > out.txt',
    });
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    const result = await run.result;

    expect(result).toMatchObject({ status: 'completed', summary: 'Wrote out.txt.', error: null });
    expect(await readFile(path.join(h.workDir, 'out.txt'), 'utf8')).toBe('approved\n');
    expect(events.find(ofType('tool.completed'))).toMatchObject({ status: 'ok' });
    // The session id was known before the turn, and the CLI used it.
    const started = events.find(ofType('session.started'));
    expect(result.sessionId).toBe(started?.sessionId);
    expect(h.fake.modelRequests()[0]?.headers['x-claude-code-session-id']).toBe(result.sessionId);
    // Usage and cost come from the result line.
    expect(result.usage).toMatchObject({ inputTokens: expect.any(Number), costUsd: expect.any(Number) });
    expect(result.usage!.inputTokens).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: true });
    expect(JSON.stringify(events)).not.toContain('sk-test-dummy-key');
  });

  it('edits a file once a person approves the write', async () => {
    const h = await claudeHarness([]);
    const target = path.join(h.workDir, 'notes.md');
    h.fake.script.push(
      { kind: 'tool', name: 'Write', input: { file_path: target, content: '# Notes\n' } },
      { kind: 'text', text: 'Wrote the notes.' },
    );
    const { run, until } = h.start();
    const asked = await until(ofType('approval.requested'));
    expect(asked).toMatchObject({ toolName: 'Write', kind: 'edit', summary: `Write: ${target}` });
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    expect((await run.result).status).toBe('completed');
    expect(await readFile(target, 'utf8')).toBe('# Notes\n');
  });

  it('finishes the turn when the model API connection dies mid-answer (the CLI retries)', async () => {
    const h = await claudeHarness([{ kind: 'die' }, { kind: 'text', text: 'Second try worked.' }]);
    const { run } = h.start();
    expect(await run.result).toMatchObject({ status: 'completed', summary: 'Second try worked.' });
    expect(h.fake.modelRequests()).toHaveLength(2);
  });

  it('fails in seconds, saying what to configure, when the model API refuses the key (the CLI would retry for minutes)', async () => {
    const h = await claudeHarness([
      { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
    ]);
    const started = Date.now();
    const result = await h.start().run.result;
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('refused Claude Code');
    expect(result.error?.message).toContain('ANTHROPIC_API_KEY');
    // Well before the CLI's own ten retries would have ended (minutes), within its exit grace.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("gives the agent's commands Claude's settings but none of the runner's secrets", async () => {
    const h = await claudeHarness([
      { kind: 'tool', name: 'Bash', input: { command: 'env > env.txt', description: 'print env' } },
      { kind: 'text', text: 'Printed.' },
    ]);
    const { run, until } = h.start();
    run.respond((await until(ofType('approval.requested'))).requestId, {
      kind: 'approval',
      decision: 'allow_once',
    });
    expect((await run.result).status).toBe('completed');
    const env = await readFile(path.join(h.workDir, 'env.txt'), 'utf8');
    expect(env).toContain(`HOME=${h.home}`);
    expect(env).toContain('CLAUDE_CODE_ENTRYPOINT=coord-runner');
    expect(env).not.toContain('runner-secret-token');
  });

  it('leaves the disk untouched when a person denies a command, and tells the model why', async () => {
    const h = await claudeHarness([
      {
        kind: 'tool',
        name: 'Bash',
        input: { command: 'echo nope > denied.txt', description: 'write denied.txt' },
      },
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
    expect(requestText(h.fake.modelRequests()[1]!)).toContain('not in this repo');
  });
});
