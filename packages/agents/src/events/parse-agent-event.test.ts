import { describe, expect, it } from 'vitest';
import { isAgentEvent, parseAgentEventLine } from './parse-agent-event.js';

describe('parseAgentEventLine', () => {
  it('passes valid events through', () => {
    const events = [
      { type: 'session.started', sessionId: 's', resumed: false, demo: true },
      { type: 'tool.started', toolCallId: 't', name: 'write', kind: 'edit', input: { path: 'a' } },
      { type: 'tool.completed', toolCallId: 't', status: 'ok', exitCode: 0 },
      { type: 'usage', inputTokens: 0, outputTokens: 0, cumulative: true },
      { type: 'turn.completed', status: 'completed', finalText: 'done' },
    ];
    for (const event of events) expect(parseAgentEventLine(JSON.stringify(event))).toEqual([event]);
  });

  it('rejects garbage, unknown types, wrong field types and the driver-only process.exited', () => {
    for (const line of [
      'not json',
      '[]',
      'null',
      '{"type":"nope"}',
      '{"type":"toString"}',
      '{"type":"message.completed","role":"assistant","text":5}',
      '{"type":"tool.started","toolCallId":"t","name":"x","kind":"weird","input":1}',
      '{"type":"process.exited","code":0,"signal":null,"sawTurnEnd":true}',
    ]) {
      expect(() => parseAgentEventLine(line), line).toThrow();
    }
    expect(isAgentEvent({ type: 'usage', inputTokens: Number.NaN, outputTokens: 0, cumulative: true })).toBe(
      false,
    );
  });
});
