import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestText } from '../src/fake-anthropic.js';
import { claudeHarness, ofType } from './harness.js';

describe('Claude Code questions and graceful stops (real CLI, fake model)', () => {
  it('turns AskUserQuestion into a question whose answer reaches the model', async () => {
    const h = await claudeHarness([
      {
        kind: 'question',
        questions: [
          {
            question: 'Which database?',
            header: 'DB',
            options: [
              { label: 'Postgres', description: 'a server' },
              { label: 'SQLite', description: 'a file' },
            ],
            multiSelect: false,
          },
        ],
      },
      { kind: 'text', text: 'SQLite it is.' },
    ]);
    const { run, until } = h.start();
    const asked = await until(ofType('question.requested'));
    expect(asked.questions).toMatchObject([{ id: 'q1', text: 'Which database?', multiSelect: false }]);
    run.respond(asked.requestId, { kind: 'question', answers: { q1: ['SQLite'] } });

    expect(await run.result).toMatchObject({ status: 'completed', summary: 'SQLite it is.' });
    expect(requestText(h.fake.modelRequests()[1]!)).toContain('\\"Which database?\\"=\\"SQLite\\"');
  });

  it('stops a streaming turn with the interrupt request: interrupted, and the CLI exits by itself', async () => {
    const h = await claudeHarness([{ kind: 'hang' }]);
    const { run, events } = h.start();
    await h.fake.waitForModelRequests(1);
    await run.interrupt(10_000);

    expect(await run.result).toMatchObject({ status: 'interrupted', error: null });
    expect(events.find(ofType('turn.completed'))).toMatchObject({ status: 'interrupted' });
    // Not killed: it answered the interrupt, ended its turn and exited when stdin closed.
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', signal: null, sawTurnEnd: true });
  });

  it('stops while an approval is pending: the request is withdrawn and nothing runs', async () => {
    const h = await claudeHarness([
      { kind: 'tool', name: 'Bash', input: { command: 'touch stopped.txt', description: 'touch' } },
    ]);
    const { run, until, events } = h.start();
    const asked = await until(ofType('approval.requested'));
    await run.interrupt(10_000);
    // A late answer to the withdrawn request is dropped, not written to a closed stdin.
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });

    expect((await run.result).status).toBe('interrupted');
    expect(existsSync(path.join(h.workDir, 'stopped.txt'))).toBe(false);
    expect(events.find(ofType('tool.completed'))).toMatchObject({
      toolCallId: asked.toolCallId,
      status: 'cancelled',
    });
    // The runner is told, so it closes the interaction instead of waiting for a person.
    expect(events.find(ofType('request.withdrawn'))).toEqual({
      type: 'request.withdrawn',
      requestId: asked.requestId,
    });
  });

  it('denies and stops: the call is denied and the turn ends at once', async () => {
    const h = await claudeHarness([
      { kind: 'tool', name: 'Bash', input: { command: 'touch never.txt', description: 'touch' } },
      { kind: 'text', text: 'This should not be asked for.' },
    ]);
    const { run, until } = h.start();
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'deny', message: 'stop here', stop: true });

    expect((await run.result).status).toBe('interrupted');
    expect(existsSync(path.join(h.workDir, 'never.txt'))).toBe(false);
    expect(h.fake.modelRequests()).toHaveLength(1);
  });
});
