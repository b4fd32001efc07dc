import type { InteractionAnswer } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { answerLine } from './claude-controls.js';
import type { PendingRequest } from './claude-parser.js';

const approval: PendingRequest = {
  kind: 'approval',
  request: { subtype: 'can_use_tool', tool_name: 'Bash', input: { command: 'make' }, tool_use_id: 'toolu_1' },
};
const question: PendingRequest = {
  kind: 'question',
  request: { subtype: 'can_use_tool', tool_name: 'AskUserQuestion', input: { questions: [] } },
  questions: [
    { question: 'Which DB?', options: [{ label: 'pg' }, { label: 'sqlite' }], multiSelect: false },
    { question: 'Which parts?', options: [{ label: 'api' }, { label: 'ui' }], multiSelect: true },
  ],
};
const reply = (pending: PendingRequest, answer: InteractionAnswer) =>
  (
    JSON.parse(answerLine('req-1', pending, answer).line) as {
      response: { response: Record<string, unknown> };
    }
  ).response.response;

describe('answers to Claude Code permission requests', () => {
  it('allows once with the original input', () => {
    expect(reply(approval, { kind: 'approval', decision: 'allow_once' })).toEqual({
      behavior: 'allow',
      updatedInput: { command: 'make' },
    });
  });

  it('allows the tool for the session when the CLI suggested no rule', () => {
    expect(reply(approval, { kind: 'approval', decision: 'allow_session' })).toMatchObject({
      updatedPermissions: [
        { type: 'addRules', rules: [{ toolName: 'Bash' }], behavior: 'allow', destination: 'session' },
      ],
    });
  });

  it('denies with the note, and with interrupt for "deny and stop"', () => {
    expect(reply(approval, { kind: 'approval', decision: 'deny', message: ' use npm ' })).toEqual({
      behavior: 'deny',
      message: 'Denied: use npm',
    });
    expect(reply(approval, { kind: 'approval', decision: 'deny', stop: true })).toMatchObject({
      behavior: 'deny',
      interrupt: true,
    });
  });

  it('denies on timeout, and on an answer of the wrong kind', () => {
    expect(reply(approval, { kind: 'timeout' })).toMatchObject({ behavior: 'deny' });
    expect(reply(approval, { kind: 'question', answers: {} })).toMatchObject({ behavior: 'deny' });
    expect(reply(question, { kind: 'approval', decision: 'allow_once' })).toMatchObject({ behavior: 'deny' });
    expect(reply(question, { kind: 'timeout' })).toMatchObject({ behavior: 'deny' });
  });

  it('answers questions keyed by their text, several choices comma-joined', () => {
    expect(reply(question, { kind: 'question', answers: { q1: ['sqlite'], q2: ['api', 'ui'] } })).toEqual({
      behavior: 'allow',
      updatedInput: { questions: [], answers: { 'Which DB?': 'sqlite', 'Which parts?': 'api, ui' } },
    });
    expect(reply(question, { kind: 'question', answers: { q1: ['  '] } })).toMatchObject({
      behavior: 'deny',
    });
  });

  it('says whether the answer denied the call (so its tool result reads as denied)', () => {
    expect(answerLine('r', approval, { kind: 'approval', decision: 'deny' }).denied).toBe(true);
    expect(answerLine('r', approval, { kind: 'approval', decision: 'allow_once' }).denied).toBe(false);
  });
});
