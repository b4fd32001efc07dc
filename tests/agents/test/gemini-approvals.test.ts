import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredTools, geminiRequestText } from '../src/fake-gemini.js';
import { geminiHarness, ofType } from './harness.js';

describe('Gemini CLI approvals (real CLI over ACP, fake model)', () => {
  it('runs a command once a person approves it', async () => {
    const h = await geminiHarness([
      { kind: 'tool', name: 'run_shell_command', args: { command: 'echo approved > out.txt' } },
      { kind: 'text', text: 'Wrote out.txt.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    expect(asked).toMatchObject({
      toolName: 'run_shell_command',
      kind: 'shell',
      summary: 'run_shell_command: echo approved > out.txt',
      input: expect.objectContaining({ cwd: h.workDir, reason: expect.any(String) }),
    });
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    const result = await run.result;

    expect(result).toMatchObject({ status: 'completed', summary: 'Wrote out.txt.', error: null });
    expect(await readFile(path.join(h.workDir, 'out.txt'), 'utf8')).toBe('approved\n');
    expect(events.find(ofType('tool.completed'))).toMatchObject({ status: 'ok' });
    const started = events.find(ofType('session.started'));
    expect(started).toMatchObject({ resumed: false });
    expect(result.sessionId).toBe(started?.sessionId);
    // The tool result reached the model; the tools the CLI offers in ACP mode include the shell.
    const [first, second] = h.fake.modelRequests();
    // The key went to the model API as a header, never into argv or events.
    expect(first!.headers['x-goog-api-key']).toBe('gemini-test-dummy-key');
    expect(declaredTools(first!)).toEqual(
      expect.arrayContaining(['run_shell_command', 'write_file', 'replace']),
    );
    expect(geminiRequestText(second!)).toContain('functionResponse');
    expect(result.usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(result.usage!.inputTokens).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: true });
    const all = JSON.stringify(events);
    expect(all).not.toContain('gemini-test-dummy-key');
    expect(all).not.toContain('runner-secret-token');
  });

  it('denies a command: the disk is untouched and the denial is in the events and reaches the model', async () => {
    const h = await geminiHarness([
      { kind: 'tool', name: 'run_shell_command', args: { command: 'echo nope > denied.txt' } },
      { kind: 'text', text: 'Understood, I did not run it.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'deny', message: 'not this one' });
    const result = await run.result;

    expect(result.status).toBe('completed');
    expect(existsSync(path.join(h.workDir, 'denied.txt'))).toBe(false);
    expect(events.find(ofType('tool.completed'))).toMatchObject({
      toolCallId: asked.toolCallId,
      status: 'denied',
    });
    const second = h.fake.modelRequests()[1];
    // ACP has no field for the note: the model hears Gemini's own "canceled by the user".
    expect(geminiRequestText(second!)).toContain('was canceled by the user');
  });

  it('edits a file once a person approves the write, and shows the content to judge', async () => {
    const h = await geminiHarness([]);
    const target = path.join(h.workDir, 'notes.md');
    h.fake.script.push(
      { kind: 'tool', name: 'write_file', args: { file_path: target, content: '# Notes\n' } },
      { kind: 'text', text: 'Wrote the notes.' },
    );
    const { run, until } = h.start();
    const asked = await until(ofType('approval.requested'));
    expect(asked).toMatchObject({ toolName: 'write_file', kind: 'edit' });
    expect(JSON.stringify(asked.input)).toContain('# Notes');
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    expect((await run.result).status).toBe('completed');
    expect(await readFile(target, 'utf8')).toBe('# Notes\n');
  });
});
