import { describe, expect, it } from 'vitest';
import type { AgentEvent } from './agent-event.js';
import { createStreamedMarker } from './streamed-marker.js';

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
  const mark = createStreamedMarker();
  return events
    .map(mark)
    .filter((e) => e.type === 'message.completed')
    .map((e) => (e as { streamed?: boolean }).streamed ?? false);
};

describe('createStreamedMarker', () => {
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
    const mark = createStreamedMarker();
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

  it('marks a tool result whose output streamed before it, per tool call', () => {
    const mark = createStreamedMarker();
    const output = (toolCallId: string, chunk: string): AgentEvent => ({
      type: 'tool.output',
      toolCallId,
      stream: 'stdout',
      chunk,
    });
    const done = (toolCallId: string, result?: string): AgentEvent => ({
      type: 'tool.completed',
      toolCallId,
      status: 'ok',
      ...(result !== undefined ? { output: result } : {}),
    });
    const flags = (events: AgentEvent[]) =>
      events
        .map(mark)
        .filter((e) => e.type === 'tool.completed')
        .map((e) => (e as { streamed?: boolean }).streamed ?? false);
    // Streamed, then whole; one that did not stream (Claude Code's results); an empty chunk.
    expect(
      flags([output('a', 'x\n'), output('b', ''), done('b', 'y'), done('a', 'x\n'), done('c', 'z')]),
    ).toEqual([false, true, false]);
    // A result with no output has nothing to fold; a turn's end forgets tools that never completed.
    expect(flags([output('d', 'x'), done('d')])).toEqual([false]);
    expect(
      flags([output('e', 'x'), { type: 'turn.completed', status: 'completed' }, done('e', 'x')]),
    ).toEqual([false]);
  });
});
