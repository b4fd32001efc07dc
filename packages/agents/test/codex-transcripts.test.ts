import { readFileSync } from 'node:fs';
import type { AgentEvent } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { respondTo } from '../src/codex/codex-controls.js';
import { openingLines, parseCodexLine } from '../src/codex/codex-parser.js';
import { createCodexSession, interruptLine, type CodexSession } from '../src/codex/codex-session.js';
import { applyEvent, initialRunState } from '../src/process/run-state.js';
import type { InteractionAnswer } from '@coord/runner-protocol';
import { fixture } from './helpers.js';

// The adapter's parser against what the pinned CLI really printed (recorded by
// tests/agents/test/record-codex-fixtures.test.ts, which speaks in the adapter's request order).

const version = '0.171.0';
const workDir = '/var/tmp/coord-codex-fixture-work';
const lines = (name: string): string[] =>
  readFileSync(fixture(`codex-${version}/${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean);

interface Replay {
  /** How the person answers (or, 'interrupt', the runner stops the turn) when asked. */
  answer?: InteractionAnswer | 'interrupt';
  resume?: string;
}

function replay(name: string, how: Replay = {}) {
  const session: CodexSession = createCodexSession({
    cwd: workDir,
    prompt: 'Do the task.',
    resumeThreadId: how.resume ?? null,
  });
  const sent: string[] = [...openingLines(session)];
  const events: AgentEvent[] = [];
  const state = initialRunState();
  for (const line of lines(name)) {
    const parsed = parseCodexLine(line, session);
    sent.push(...parsed.replies);
    for (const event of parsed.events) applyEvent(state, event);
    events.push(...parsed.events);
    // The streaming interrupt goes out once the turn exists, as the recorder sent it.
    if (name === 'interrupt-streaming' && session.turnId && !session.interruptSent) {
      const stop = interruptLine(session);
      if (stop) sent.push(stop);
    }
    for (const event of parsed.events) {
      if (event.type !== 'approval.requested' && event.type !== 'question.requested') continue;
      if (how.answer === 'interrupt') {
        const stop = interruptLine(session);
        if (stop) sent.push(stop);
      } else if (how.answer) {
        sent.push(...respondTo(session, event.requestId, how.answer));
      }
    }
  }
  return {
    events,
    state,
    session,
    sent: sent.map((l) => JSON.parse(l) as Record<string, unknown>),
    types: events.map((e) => e.type),
  };
}

const of = <K extends AgentEvent['type']>(events: AgentEvent[], type: K) =>
  events.filter((e): e is Extract<AgentEvent, { type: K }> => e.type === type);
const allow: InteractionAnswer = { kind: 'approval', decision: 'allow_once' };

describe(`Codex ${version} transcripts`, () => {
  it('approve: thread, command, approval, result, answer, usage and a completed turn', () => {
    const { events, types, state, sent } = replay('approve', { answer: allow });
    expect(types.filter((t) => t !== 'warning')).toEqual([
      'session.started',
      'tool.started',
      'approval.requested',
      'tool.completed',
      'usage',
      'message.delta',
      'message.completed',
      'usage',
      'turn.completed',
    ]);
    const session = of(events, 'session.started')[0]!;
    expect(session).toMatchObject({ model: 'mock-model', resumed: false });
    expect(session.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const asked = of(events, 'approval.requested')[0]!;
    expect(asked).toMatchObject({
      toolName: 'exec_command',
      kind: 'shell',
      summary: "exec_command: /bin/bash -lc 'echo hi > out.txt'",
      input: { command: "/bin/bash -lc 'echo hi > out.txt'", cwd: workDir },
    });
    expect(asked.requestId).toMatch(/^[0-9a-f-]{36}:0$/);
    expect(of(events, 'tool.completed')[0]).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(of(events, 'turn.completed')[0]).toEqual({ type: 'turn.completed', status: 'completed' });
    expect(state.lastAssistantText).toBe('Wrote out.txt.');
    // Two model calls of 20 in (5 cached) / 9 out (4 of them reasoning): counted once.
    expect(state.usage).toEqual({ inputTokens: 40, outputTokens: 18, cachedInputTokens: 10 });
    expect(sent.map((m) => m.method ?? 'answer')).toEqual([
      'initialize',
      'initialized',
      'thread/start',
      'turn/start',
      'answer',
    ]);
    expect(sent[4]).toEqual({ id: 0, result: { decision: 'accept' } });
  });

  it('deny: declined, with the note as turn/steer input, and the command reads as denied', () => {
    const { events, sent } = replay('deny', {
      answer: { kind: 'approval', decision: 'deny', message: 'not in this repository' },
    });
    expect(sent[5]).toEqual({ id: 0, result: { decision: 'decline' } });
    expect(sent[4]).toMatchObject({
      method: 'turn/steer',
      params: {
        input: [
          { type: 'text', text: 'The person reviewing this run denied that command: not in this repository' },
        ],
      },
    });
    const asked = of(events, 'approval.requested')[0]!;
    expect(of(events, 'tool.completed')[0]).toMatchObject({ toolCallId: asked.toolCallId, status: 'denied' });
    expect(of(events, 'request.withdrawn')).toEqual([]);
  });

  it('patch: a file change with its diff, approved', () => {
    const { events } = replay('patch', { answer: allow });
    expect(of(events, 'tool.started')[0]).toMatchObject({
      name: 'apply_patch',
      kind: 'edit',
      title: 'add notes.md',
      input: { changes: [{ path: `${workDir}/notes.md`, kind: { type: 'add' }, diff: '# Notes\n' }] },
    });
    expect(of(events, 'approval.requested')[0]).toMatchObject({
      toolName: 'apply_patch',
      summary: 'apply_patch: add notes.md',
      input: { changes: [{ diff: '# Notes\n' }], cwd: workDir },
    });
    expect(of(events, 'tool.completed')[0]).toMatchObject({ status: 'ok' });
  });

  it('question: request_user_input becomes a question, answered by question id', () => {
    const { events, sent } = replay('question', {
      answer: { kind: 'question', answers: { database: ['SQLite'] } },
    });
    expect(of(events, 'question.requested')[0]?.questions).toEqual([
      {
        id: 'database',
        text: 'DB: Which database?',
        options: [
          { label: 'Postgres', description: 'server' },
          { label: 'SQLite', description: 'file' },
        ],
        multiSelect: false,
        allowFreeText: true,
      },
    ]);
    expect(sent[4]).toEqual({ id: 0, result: { answers: { database: { answers: ['SQLite'] } } } });
  });

  it('question: one Codex marks isSecret becomes a secret question', () => {
    const session = createCodexSession({ cwd: workDir, prompt: 'Do the task.', resumeThreadId: null });
    // The recorded request, as Codex sends it when the answer is a secret.
    const recorded = lines('question').find((l) => l.includes('item/tool/requestUserInput'))!;
    const asked = JSON.parse(recorded) as { params: { questions: Array<{ isSecret: boolean }> } };
    asked.params.questions[0]!.isSecret = true;
    const [event] = parseCodexLine(JSON.stringify(asked), session).events;
    expect(event).toMatchObject({
      type: 'question.requested',
      questions: [{ id: 'database', secret: true }],
    });
    const plain = parseCodexLine(
      recorded,
      createCodexSession({ cwd: workDir, prompt: 'x', resumeThreadId: null }),
    );
    expect(plain.events[0]).toMatchObject({ questions: [expect.not.objectContaining({ secret: true })] });
  });

  it('interrupt-approval: the pending request is withdrawn and the turn ends interrupted', () => {
    const { events, sent } = replay('interrupt-approval', { answer: 'interrupt' });
    const asked = of(events, 'approval.requested')[0]!;
    expect(sent.at(-1)).toMatchObject({ id: 4, method: 'turn/interrupt' });
    expect(of(events, 'request.withdrawn')).toEqual([
      { type: 'request.withdrawn', requestId: asked.requestId },
    ]);
    expect(of(events, 'turn.completed')[0]).toEqual({ type: 'turn.completed', status: 'interrupted' });
  });

  it('interrupt-streaming: interrupted before any output', () => {
    const { events } = replay('interrupt-streaming');
    expect(of(events, 'turn.completed')).toEqual([{ type: 'turn.completed', status: 'interrupted' }]);
  });

  it('resume-rejected: marks the session for the fallback, no turn is started', () => {
    const { session, sent, events } = replay('resume-rejected', {
      resume: '01a23077-8258-7570-9bc4-d000e899537d',
    });
    expect(session.resumeRejected).toBe(true);
    expect(sent.map((m) => m.method)).toEqual(['initialize', 'initialized', 'thread/resume']);
    expect(events.some((e) => e.type === 'warning' && e.message.includes('no rollout found'))).toBe(true);
    expect(of(events, 'turn.completed')).toEqual([]);
  });

  it("stream-died: the turn fails with Codex's reason", () => {
    const { events } = replay('stream-died');
    expect(of(events, 'turn.completed')).toEqual([
      {
        type: 'turn.completed',
        status: 'failed',
        error: 'stream disconnected before completion: error sending request',
      },
    ]);
  });

  it('knows every notification the pinned CLI sent in these scenarios (no "does not know" warnings)', () => {
    for (const name of [
      'approve',
      'deny',
      'patch',
      'question',
      'interrupt-approval',
      'interrupt-streaming',
      'stream-died',
    ]) {
      const warnings = of(replay(name, { answer: allow }).events, 'warning').map((w) => w.message);
      expect(warnings.filter((w) => w.includes('does not know'))).toEqual([]);
    }
  });
});
