import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DemoStep } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { startDemo } from './demo-run.js';
import { ofType } from './helpers.js';

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );
const touch = (name: string): DemoStep => ({
  type: 'run',
  command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(name)}, 'x')`],
  ask: true,
});

describe('the demo agent asks too', () => {
  it('asks before a command, with the command and where it runs, and runs it once allowed', async () => {
    const { run, workDir, until } = await startDemo([touch('made.txt')]);
    const ask = await until(ofType('approval.requested'));
    expect(ask).toMatchObject({ toolName: 'run', kind: 'shell', toolCallId: 'step-1' });
    expect(ask.summary).toContain('made.txt');
    expect(ask.input).toMatchObject({ cwd: workDir });
    expect(await exists(path.join(workDir, 'made.txt'))).toBe(false);
    run.respond(ask.requestId, { kind: 'approval', decision: 'allow_once' });
    expect((await run.result).status).toBe('completed');
    expect(await exists(path.join(workDir, 'made.txt'))).toBe(true);
  });

  it('a denied write leaves the disk untouched, tells why, and the plan goes on', async () => {
    const { run, workDir, until, events } = await startDemo([
      { type: 'write', path: 'secret-plan.md', content: 'no', ask: true },
      { type: 'say', text: 'Moving on.' },
    ]);
    const ask = await until(ofType('approval.requested'));
    expect(ask.input).toMatchObject({ path: 'secret-plan.md', content: 'no' });
    run.respond(ask.requestId, { kind: 'approval', decision: 'deny', message: 'not that file' });
    const result = await run.result;
    expect(result.status).toBe('completed');
    expect(await exists(path.join(workDir, 'secret-plan.md'))).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'tool.completed',
        status: 'denied',
        output: expect.stringContaining('not that file'),
      }),
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'message.completed', text: 'Moving on.' }));
  });

  it('deny and stop ends the turn: nothing after it runs', async () => {
    const { run, workDir, until } = await startDemo([touch('first.txt'), touch('second.txt')]);
    const ask = await until(ofType('approval.requested'));
    run.respond(ask.requestId, { kind: 'approval', decision: 'deny', stop: true });
    const result = await run.result;
    expect(result.status).toBe('interrupted');
    expect(await exists(path.join(workDir, 'first.txt'))).toBe(false);
    expect(await exists(path.join(workDir, 'second.txt'))).toBe(false);
  });

  it('allow for this session is not asked again for the same tool', async () => {
    const { run, workDir, until, events } = await startDemo([touch('a.txt'), touch('b.txt')]);
    const ask = await until(ofType('approval.requested'));
    run.respond(ask.requestId, { kind: 'approval', decision: 'allow_session' });
    expect((await run.result).status).toBe('completed');
    expect(events.filter((e) => e.type === 'approval.requested')).toHaveLength(1);
    expect(await exists(path.join(workDir, 'b.txt'))).toBe(true);
  });

  it('a timeout denies and stops the turn (never an endless ask-deny loop)', async () => {
    const { run, workDir, until } = await startDemo([touch('late.txt')]);
    run.respond((await until(ofType('approval.requested'))).requestId, { kind: 'timeout' });
    expect((await run.result).status).toBe('interrupted');
    expect(await exists(path.join(workDir, 'late.txt'))).toBe(false);
  });

  it('asks a question and uses the answer in later steps', async () => {
    const { run, workDir, until } = await startDemo([
      { type: 'ask', id: 'name', question: 'What should the greeting say?', options: ['Hello', 'Hi'] },
      { type: 'write', path: 'greeting.txt', content: '{{answer:name}}, Coord!\n' },
    ]);
    const question = await until(ofType('question.requested'));
    expect(question.questions).toEqual([
      {
        id: 'name',
        text: 'What should the greeting say?',
        options: [{ label: 'Hello' }, { label: 'Hi' }],
        multiSelect: false,
        allowFreeText: true,
      },
    ]);
    run.respond(question.requestId, { kind: 'question', answers: { name: ['Howdy'] } });
    expect((await run.result).status).toBe('completed');
    expect(await readFile(path.join(workDir, 'greeting.txt'), 'utf8')).toBe('Howdy, Coord!\n');
  });

  it('a stop while an approval waits ends the turn interrupted, without running it', async () => {
    const { run, workDir, until } = await startDemo([touch('never.txt')]);
    await until(ofType('approval.requested'));
    await run.interrupt(5_000);
    expect((await run.result).status).toBe('interrupted');
    expect(await exists(path.join(workDir, 'never.txt'))).toBe(false);
  });
});
