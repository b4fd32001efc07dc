import type { InteractionAnswer } from '@coord/runner-protocol';
import { describe, expect, it } from 'vitest';
import { respondTo } from './codex-controls.js';
import { createCodexSession, type CodexSession, type PendingRequest } from './codex-session.js';

function session(pending: PendingRequest): CodexSession {
  const s = createCodexSession({ cwd: '/w', prompt: 'p', resumeThreadId: null });
  s.threadId = 'thread-1';
  s.turnId = 'turn-1';
  s.pending.set('turn-1:7', pending);
  return s;
}
const command = (availableDecisions?: unknown[]): PendingRequest => ({
  kind: 'command',
  rpcId: 7,
  params: {
    turnId: 'turn-1',
    itemId: 'call-1',
    command: 'rm -rf build',
    ...(availableDecisions ? { availableDecisions } : {}),
  },
});
const file: PendingRequest = { kind: 'fileChange', rpcId: 7, params: { turnId: 'turn-1', itemId: 'call-2' } };
const question: PendingRequest = {
  kind: 'question',
  rpcId: 7,
  params: {
    turnId: 'turn-1',
    itemId: 'call-3',
    questions: [
      { id: 'db', header: 'DB', question: 'Which?', isOther: true, isSecret: false, options: null },
    ],
  },
};
const answer = (s: CodexSession, a: InteractionAnswer) =>
  respondTo(s, 'turn-1:7', a).map((l) => JSON.parse(l) as unknown);

describe('answers to Codex server requests', () => {
  it('maps allow once, allow for the session and deny onto the decisions', () => {
    expect(answer(session(command()), { kind: 'approval', decision: 'allow_once' })).toEqual([
      { id: 7, result: { decision: 'accept' } },
    ]);
    expect(answer(session(command()), { kind: 'approval', decision: 'allow_session' })).toEqual([
      { id: 7, result: { decision: 'acceptForSession' } },
    ]);
    expect(answer(session(file), { kind: 'approval', decision: 'allow_session' })).toEqual([
      { id: 7, result: { decision: 'acceptForSession' } },
    ]);
    const amendment = { acceptWithExecpolicyAmendment: { execpolicy_amendment: ['rm', '-rf', 'build'] } };
    expect(
      answer(session(command(['accept', amendment, 'cancel'])), {
        kind: 'approval',
        decision: 'allow_session',
      }),
    ).toEqual([{ id: 7, result: { decision: amendment } }]);
    expect(
      answer(session(command(['accept', 'cancel'])), { kind: 'approval', decision: 'allow_session' }),
    ).toEqual([{ id: 7, result: { decision: 'accept' } }]);
  });

  it('denies with the note as steer input just before the decline, and marks the call as denied', () => {
    const s = session(command());
    expect(answer(s, { kind: 'approval', decision: 'deny', message: ' use git clean ' })).toEqual([
      {
        method: 'turn/steer',
        id: 1,
        params: {
          threadId: 'thread-1',
          expectedTurnId: 'turn-1',
          input: [
            {
              type: 'text',
              text: 'The person reviewing this run denied that command: use git clean',
              text_elements: [],
            },
          ],
        },
      },
      { id: 7, result: { decision: 'decline' } },
    ]);
    expect(s.declined.has('call-1')).toBe(true);
    expect(answer(session(file), { kind: 'approval', decision: 'deny' })).toEqual([
      { id: 7, result: { decision: 'decline' } },
    ]);
  });

  it('deny-and-stop and a timeout cancel and interrupt the turn', () => {
    for (const a of [
      { kind: 'approval', decision: 'deny', stop: true },
      { kind: 'timeout' },
    ] as InteractionAnswer[]) {
      expect(answer(session(command()), a)).toEqual([
        { id: 7, result: { decision: 'cancel' } },
        { method: 'turn/interrupt', id: 1, params: { threadId: 'thread-1', turnId: 'turn-1' } },
      ]);
    }
  });

  it('answers questions by id; no answer is empty answers, and a timeout also interrupts', () => {
    expect(answer(session(question), { kind: 'question', answers: { db: ['SQLite', ' '] } })).toEqual([
      { id: 7, result: { answers: { db: { answers: ['SQLite'] } } } },
    ]);
    expect(answer(session(question), { kind: 'question', answers: { Which: ['x'] } })).toEqual([
      { id: 7, result: { answers: {} } },
    ]);
    expect(answer(session(question), { kind: 'timeout' })).toEqual([
      { id: 7, result: { answers: {} } },
      { method: 'turn/interrupt', id: 1, params: { threadId: 'thread-1', turnId: 'turn-1' } },
    ]);
  });

  it('answers each request once; a withdrawn one gets nothing', () => {
    const s = session(command());
    expect(respondTo(s, 'turn-1:7', { kind: 'approval', decision: 'allow_once' })).toHaveLength(1);
    expect(respondTo(s, 'turn-1:7', { kind: 'approval', decision: 'allow_once' })).toEqual([]);
    expect(respondTo(s, 'unknown', { kind: 'timeout' })).toEqual([]);
  });
});
