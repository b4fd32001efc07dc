import { readFileSync } from 'node:fs';
import type { AgentEvent } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { answerLine } from '../src/claude/claude-controls.js';
import { createClaudeSession, parseClaudeLine, type ClaudeSession } from '../src/claude/claude-parser.js';
import { applyEvent, initialRunState } from '../src/process/run-state.js';
import { fixture } from './helpers.js';

// The adapter's parser against what the pinned CLI really printed (recorded by
// tests/agents/test/record-claude-fixtures.test.ts).

const version = '2.1.332';
const lines = (name: string): string[] =>
  readFileSync(fixture(`claude-code-${version}/${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean);

function replay(name: string, session: ClaudeSession = createClaudeSession(false)) {
  const events: AgentEvent[] = [];
  const replies: string[] = [];
  const state = initialRunState();
  for (const line of lines(name)) {
    const parsed = parseClaudeLine(line, session);
    for (const event of parsed.events) applyEvent(state, event);
    events.push(...parsed.events);
    replies.push(...parsed.replies);
  }
  return { events, replies, state, session, types: events.map((e) => e.type) };
}

const of = <K extends AgentEvent['type']>(events: AgentEvent[], type: K) =>
  events.filter((e): e is Extract<AgentEvent, { type: K }> => e.type === type);

describe(`Claude Code ${version} transcripts`, () => {
  it('approve: session, tool call, approval, tool result, answer, usage and a completed turn', () => {
    const { events, types, state, replies } = replay('approve');
    expect(types).toEqual([
      'session.started',
      'tool.started',
      'approval.requested',
      'tool.completed',
      'message.completed',
      'usage',
      'turn.completed',
    ]);
    expect(events[0]).toMatchObject({ type: 'session.started', model: 'claude-opus-5-5', resumed: false });
    expect(of(events, 'approval.requested')[0]).toMatchObject({
      toolName: 'Bash',
      kind: 'shell',
      summary: 'Bash: echo hi > out.txt',
      input: { command: 'echo hi > out.txt', description: 'run it' },
    });
    expect(of(events, 'tool.completed')[0]).toMatchObject({ status: 'ok' });
    expect(of(events, 'turn.completed')[0]).toEqual({
      type: 'turn.completed',
      status: 'completed',
      finalText: 'Wrote out.txt.',
    });
    expect(state.usage).toMatchObject({ inputTokens: 24, outputTokens: 14 });
    expect(state.usage?.costUsd).toBeGreaterThan(0);
    expect(replies).toEqual([]);
  });

  it('partial messages: the answer streams as text deltas, then comes whole; the rest of the stream adds nothing', () => {
    const { events, types } = replay('partial-messages');
    const deltas = of(events, 'message.delta');
    const answer = of(events, 'message.completed')[0]!.text;
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.every((d) => d.channel === 'text')).toBe(true);
    expect(deltas.map((d) => d.text).join('')).toBe(answer);
    // Block starts and stops, tool input JSON, message usage: all in the whole lines as well.
    expect(types.filter((t) => t !== 'message.delta')).toEqual([
      'session.started',
      'tool.started',
      'tool.completed',
      'message.completed',
      'usage',
      'turn.completed',
    ]);
    expect(of(events, 'tool.started')[0]).toMatchObject({ name: 'Bash', input: { command: 'ls -la' } });
  });

  it('deny: the answer denies with the note, and the tool result reads as denied', () => {
    const session = createClaudeSession(false);
    const all = lines('deny');
    const events: AgentEvent[] = [];
    for (const line of all) {
      events.push(...parseClaudeLine(line, session).events);
      const asked = of(events, 'approval.requested')[0];
      if (asked && session.pending.has(asked.requestId)) {
        const pending = session.pending.get(asked.requestId)!;
        session.pending.delete(asked.requestId);
        const { line: reply, denied } = answerLine(asked.requestId, pending, {
          kind: 'approval',
          decision: 'deny',
          message: 'not in this repository',
        });
        expect(denied).toBe(true);
        expect(JSON.parse(reply)).toEqual({
          type: 'control_response',
          response: {
            subtype: 'success',
            request_id: asked.requestId,
            response: { behavior: 'deny', message: 'Denied: not in this repository' },
          },
        });
        session.denied.add(pending.request.tool_use_id!);
      }
    }
    expect(of(events, 'tool.completed')[0]).toMatchObject({
      status: 'denied',
      output: 'Denied: not in this repository',
    });
    expect(of(events, 'turn.completed')[0]).toMatchObject({ status: 'completed' });
  });

  it('question: AskUserQuestion becomes a question, and its answer the updated input', () => {
    const { events, session } = replay('question');
    const asked = of(events, 'question.requested')[0]!;
    expect(asked.questions).toEqual([
      {
        id: 'q1',
        text: 'Which database?',
        options: [
          { label: 'Postgres', description: 'server' },
          { label: 'SQLite', description: 'file' },
        ],
        multiSelect: false,
        allowFreeText: true,
      },
    ]);
    const pending = session.pending.get(asked.requestId)!;
    const reply = JSON.parse(
      answerLine(asked.requestId, pending, { kind: 'question', answers: { q1: ['SQLite'] } }).line,
    ) as {
      response: { response: { behavior: string; updatedInput: { answers: unknown; questions: unknown } } };
    };
    expect(reply.response.response.behavior).toBe('allow');
    expect(reply.response.response.updatedInput.answers).toEqual({ 'Which database?': 'SQLite' });
    expect(reply.response.response.updatedInput.questions).toBeDefined();
    expect(of(events, 'tool.completed')[0]?.output).toContain('"Which database?"="SQLite"');
  });

  it('interrupt while an approval is pending: the request is withdrawn and the turn is interrupted', () => {
    const session = createClaudeSession(false);
    session.interruptSent = true;
    const { events } = replay('interrupt-approval', session);
    const asked = of(events, 'approval.requested')[0]!;
    expect(session.pending.size).toBe(0);
    expect(of(events, 'request.withdrawn')).toEqual([
      { type: 'request.withdrawn', requestId: asked.requestId },
    ]);
    expect(of(events, 'tool.completed')[0]).toMatchObject({ status: 'cancelled' });
    expect(of(events, 'turn.completed')).toEqual([{ type: 'turn.completed', status: 'interrupted' }]);
  });

  it('interrupt while the model streams: interrupted, also when the runner did not ask (aborted_*)', () => {
    expect(of(replay('interrupt-streaming').events, 'turn.completed')).toEqual([
      { type: 'turn.completed', status: 'interrupted' },
    ]);
  });

  it('a rejected resume is recognised (for the fresh-session fallback), not reported as a turn', () => {
    const { events, session } = replay('resume-rejected', createClaudeSession(true));
    expect(session.resumeRejected).toBe(true);
    expect(of(events, 'turn.completed')).toEqual([]);
    // Without --resume, the same line is an ordinary failed turn.
    const fresh = replay('resume-rejected');
    expect(fresh.session.resumeRejected).toBe(false);
    expect(of(fresh.events, 'turn.completed')[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('No conversation found'),
    });
  });

  it('an API error is a failed turn with the CLI message, though its subtype says success', () => {
    const { events } = replay('api-error');
    expect(of(events, 'turn.completed')[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('issue with the selected model'),
    });
  });
});
