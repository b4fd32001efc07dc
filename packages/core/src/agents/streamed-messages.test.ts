import { describe, expect, it } from 'vitest';
import type { AgentEvent } from './agent-event.js';
import { createStreamedMessageMarker } from './streamed-messages.js';

const delta = (text: string, channel: 'text' | 'reasoning' = 'text'): AgentEvent => ({
  type: 'message.delta',
  channel,
  text,
});
const message = (text: string, role: 'assistant' | 'user' = 'assistant'): AgentEvent => ({
  type: 'message.completed',
  role,
  text,
});
const streamedFlags = (events: AgentEvent[]) => {
  const mark = createStreamedMessageMarker();
  return events
    .map(mark)
    .filter((e) => e.type === 'message.completed')
    .map((e) => (e as { streamed?: boolean }).streamed ?? false);
};

describe('createStreamedMessageMarker', () => {
  it('marks a message whose text streamed before it, and only that one', () => {
    const tool: AgentEvent = {
      type: 'tool.started',
      toolCallId: 't',
      name: 'Bash',
      kind: 'shell',
      input: {},
    };
    expect(streamedFlags([delta('Hel'), delta('lo'), message('Hello'), tool, message('Done')])).toEqual([
      true,
      false,
    ]);
  });

  it('leaves messages of agents that do not stream, reasoning and user messages alone', () => {
    expect(streamedFlags([message('a'), delta('hmm', 'reasoning'), message('b')])).toEqual([false, false]);
    expect(streamedFlags([delta('x'), message('typed', 'user'), message('x')])).toEqual([false, true]);
    expect(streamedFlags([delta(''), message('a')])).toEqual([false]);
  });

  it('does not carry deltas over a turn or a process that ended without its message', () => {
    const ended: AgentEvent = { type: 'turn.completed', status: 'interrupted' };
    const exited: AgentEvent = { type: 'process.exited', code: 1, signal: null, sawTurnEnd: false };
    expect(streamedFlags([delta('cut off'), ended, message('next turn')])).toEqual([false]);
    expect(streamedFlags([delta('cut off'), exited, message('resumed')])).toEqual([false]);
  });

  it('keeps the text, and the event it was given otherwise unchanged', () => {
    const mark = createStreamedMessageMarker();
    const tool: AgentEvent = { type: 'warning', message: 'w' };
    mark(delta('a'));
    expect(mark(message('a'))).toEqual({
      type: 'message.completed',
      role: 'assistant',
      text: 'a',
      streamed: true,
    });
    expect(mark(tool)).toBe(tool);
  });
});
