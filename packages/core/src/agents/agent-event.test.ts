import { describe, expect, it } from 'vitest';
import { isAgentEvent, isAgentOutputEvent } from './agent-event.js';

describe('the AgentEvent schema', () => {
  it('takes every kind of event, extra fields included', () => {
    const events = [
      { type: 'session.started', sessionId: 's', resumed: true, model: 'm', extra: 1 },
      { type: 'tool.started', toolCallId: 't', name: 'ls', kind: 'shell', input: null },
      {
        type: 'approval.requested',
        requestId: 'r',
        toolName: 'Bash',
        kind: 'shell',
        summary: 'ls',
        input: {},
      },
      {
        type: 'question.requested',
        requestId: 'q',
        questions: [
          { id: '1', text: '?', options: [{ label: 'a' }], multiSelect: false, allowFreeText: true },
        ],
      },
      { type: 'process.exited', code: null, signal: 'SIGKILL', sawTurnEnd: false },
    ];
    for (const event of events) expect(isAgentEvent(event), event.type).toBe(true);
  });

  it('refuses a tool call without input, non-finite numbers and unknown types', () => {
    expect(isAgentEvent({ type: 'tool.started', toolCallId: 't', name: 'x', kind: 'edit' })).toBe(false);
    expect(isAgentEvent({ type: 'usage', inputTokens: Infinity, outputTokens: 0, cumulative: true })).toBe(
      false,
    );
    expect(isAgentEvent({ type: 'hasOwnProperty' })).toBe(false);
  });

  it('keeps the driver-only process.exited out of what an agent may print', () => {
    const exited = { type: 'process.exited', code: 0, signal: null, sawTurnEnd: true };
    expect(isAgentEvent(exited)).toBe(true);
    expect(isAgentOutputEvent(exited)).toBe(false);
  });
});
