import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionOutputs } from '../src/fake-openai.js';
import { codexHarness, ofType } from './codex-harness.js';

describe('Codex questions and graceful stops (real CLI, fake model)', () => {
  it('turns request_user_input into a question whose answer reaches the model', async () => {
    const h = await codexHarness([
      {
        kind: 'question',
        questions: [
          {
            id: 'database',
            header: 'DB',
            question: 'Which database?',
            options: [
              { label: 'Postgres', description: 'a server' },
              { label: 'SQLite', description: 'a file' },
            ],
          },
        ],
      },
      { kind: 'text', text: 'SQLite it is.' },
    ]);
    const { run, until } = h.start();
    const asked = await until(ofType('question.requested'));
    expect(asked.questions).toEqual([
      {
        id: 'database',
        text: 'DB: Which database?',
        options: [
          { label: 'Postgres', description: 'a server' },
          { label: 'SQLite', description: 'a file' },
        ],
        multiSelect: false,
        allowFreeText: true,
      },
    ]);
    run.respond(asked.requestId, { kind: 'question', answers: { database: ['SQLite'] } });

    expect(await run.result).toMatchObject({ status: 'completed', summary: 'SQLite it is.' });
    const [output] = functionOutputs(h.fake.modelRequests()[1]!);
    expect(JSON.parse(String(output?.output))).toEqual({ answers: { database: { answers: ['SQLite'] } } });
  });

  it('interrupts the turn when nobody answers a question in time', async () => {
    const h = await codexHarness([
      {
        kind: 'question',
        // Codex 0.171 refuses a question without options ("requires non-empty options").
        questions: [
          {
            id: 'color',
            header: 'Color',
            question: 'Which color?',
            options: [{ label: 'Red', description: 'warm' }],
          },
        ],
      },
      { kind: 'text', text: 'This should not be asked for.' },
    ]);
    const { run, until } = h.start();
    const asked = await until(ofType('question.requested'));
    expect(asked.questions[0]).toMatchObject({ allowFreeText: true });
    run.respond(asked.requestId, { kind: 'timeout' });
    expect((await run.result).status).toBe('interrupted');
  });

  it('stops a streaming turn with turn/interrupt: interrupted, and Codex exits by itself', async () => {
    const h = await codexHarness([{ kind: 'hang' }]);
    const { run, events } = h.start();
    await h.fake.waitForModelRequests(1);
    await run.interrupt(10_000);

    expect(await run.result).toMatchObject({ status: 'interrupted', error: null });
    expect(events.find(ofType('turn.completed'))).toMatchObject({ status: 'interrupted' });
    // Not killed: it ended its turn and exited when stdin closed.
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', code: 0, signal: null, sawTurnEnd: true });
  });

  it('stops while an approval is pending: the request is withdrawn and nothing runs', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'touch stopped.txt' } },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    await run.interrupt(10_000);
    // A late answer to the withdrawn request is dropped.
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });

    expect((await run.result).status).toBe('interrupted');
    expect(existsSync(path.join(h.workDir, 'stopped.txt'))).toBe(false);
    expect(events.find(ofType('request.withdrawn'))).toEqual({
      type: 'request.withdrawn',
      requestId: asked.requestId,
    });
  });

  it('denies and stops: nothing runs and the turn ends at once', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'touch never.txt' } },
      { kind: 'text', text: 'This should not be asked for.' },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'deny', message: 'stop here', stop: true });

    expect((await run.result).status).toBe('interrupted');
    expect(existsSync(path.join(h.workDir, 'never.txt'))).toBe(false);
    expect(events.find(ofType('tool.completed'))).toMatchObject({
      toolCallId: asked.toolCallId,
      status: 'denied',
    });
    expect(h.fake.modelRequests()).toHaveLength(1);
  });

  it('treats an approval nobody answered as deny-and-stop, not an endless ask', async () => {
    const h = await codexHarness([
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'touch late.txt' } },
      { kind: 'tool', name: 'exec_command', arguments: { cmd: 'touch late.txt' } },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'timeout' });

    expect((await run.result).status).toBe('interrupted');
    expect(existsSync(path.join(h.workDir, 'late.txt'))).toBe(false);
    expect(events.filter(ofType('approval.requested'))).toHaveLength(1);
  });
});
