import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStreamDelta } from './claude-deltas.js';
import { createClaudeSession, parseClaudeLine } from './claude-parser.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/claude-code-2.1.332');
const recorded = readdirSync(fixtures)
  .filter((name) => name.endsWith('.jsonl'))
  .flatMap((name) => readFileSync(join(fixtures, name), 'utf8').split('\n').filter(Boolean));

/** The same JSON with every object's keys in reverse order: never the fast reader's shape. */
const reordered = (line: string): string =>
  JSON.stringify(JSON.parse(line), function (this: unknown, _key, value: unknown) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).reverse());
  });

/** What the full parse makes of a line (events, or the error it throws) and of the session. */
function outcome(line: string) {
  const session = createClaudeSession(false);
  try {
    return { parsed: parseClaudeLine(line, session), session };
  } catch (error) {
    return { error: (error as Error).message, session };
  }
}

const delta = (fields: { text?: string; parent?: string | null; index?: number }) =>
  JSON.stringify({
    type: 'stream_event',
    event: {
      type: 'content_block_delta',
      index: fields.index ?? 0,
      delta: { type: 'text_delta', text: fields.text ?? 'hi' },
    },
    session_id: '63b7d2d3-ee75-4e85-9d93-ff2b5c54c69e',
    parent_tool_use_id: fields.parent === undefined ? null : fields.parent,
    uuid: 'fe4216ea-51b6-46a9-8d75-1f8ef1b1b510',
  });

describe('readStreamDelta', () => {
  it('reads most recorded lines of a streamed turn, each as JSON.parse does', () => {
    const read = recorded.filter((line) => readStreamDelta(line) !== null);
    expect(read.length).toBeGreaterThan(30);
    for (const line of read) {
      const value = JSON.parse(line) as {
        event: { delta: { text?: string; thinking?: string } };
        parent_tool_use_id: string | null;
      };
      expect(readStreamDelta(line)).toEqual({
        channel: value.event.delta.text === undefined ? 'reasoning' : 'text',
        text: value.event.delta.text ?? value.event.delta.thinking,
        parentToolUseId: value.parent_tool_use_id,
      });
    }
  });

  it('gives the parser the same events and session as the full parse, for every recorded line', () => {
    for (const line of recorded) expect(outcome(line)).toEqual(outcome(reordered(line)));
  });

  it('reads escapes as JSON does: quotes, backslashes, unicode, a backslash before the closing quote', () => {
    for (const text of ['say "hi"', 'C:\\path\\', '\\', 'tab\there', 'é ✓ \u2028 😀', '\\"', '']) {
      const line = delta({ text });
      expect(readStreamDelta(line)).toEqual({ channel: 'text', text, parentToolUseId: null });
      expect(outcome(line)).toEqual(outcome(reordered(line)));
    }
    // A subagent's delta: read, then kept out of the answer as before.
    expect(readStreamDelta(delta({ parent: 'toolu_task' }))).toMatchObject({ parentToolUseId: 'toolu_task' });
    expect(outcome(delta({ parent: 'toolu_task' })).parsed?.events).toEqual([]);
  });

  it('leaves every other shape to the full parse, which keeps its errors', () => {
    const good = delta({ text: 'hi' });
    const hostile = [
      good.replace('"hi"', '"h\\x"'), // a bad escape
      good.replace('"hi"', '"h\ti"'), // a raw control character
      good.replace('"hi"', '"h"i"'), // a stray quote
      good.replace('"index":0', '"index":01'), // a number JSON refuses
      good.replace('"text":"hi"', '"text":"hi","extra":1'), // a field more
      good.replace('"parent_tool_use_id":null', '"parent_tool_use_id":7'), // not a string
      good.replace('"session_id":"63b7', '"session_id":"\\u0036\\u0033b7'), // an escaped id
      good.replace('"uuid":"fe42', '"uuid":{"a":"fe42"}'), // a nested value
      good.slice(0, -1), // cut short
      `${good} `, // trailing space: JSON, but not the printed shape
      good.replace('text_delta","text"', 'text_delta","thinking"'), // the other channel's field
      good.replace('content_block_delta', 'content_block_start'),
    ];
    for (const line of hostile) {
      expect(readStreamDelta(line), line).toBeNull();
      const full = outcome(line);
      let json = true;
      try {
        JSON.parse(line);
      } catch {
        json = false;
      }
      // Lines JSON refuses are still bad output; the others read as the full parse reads them.
      if (!json) expect(full.error, line).toBeDefined();
      else expect(full, line).toEqual(outcome(reordered(line)));
    }
  });
});
