/** A text or thinking delta of a partial message, as `readStreamDelta` finds it. */
export interface StreamDelta {
  channel: 'text' | 'reasoning';
  text: string;
  /** Set when a subagent (a Task tool call) is speaking. */
  parentToolUseId: string | null;
}

// A JSON string literal: no raw quote, backslash or control character; escapes as pairs (JSON.parse checks them).
const literal = String.raw`("(?:[^"\\\x00-\x1f]|\\.)*")`;
// A JSON string with no escapes at all (ids).
const plain = String.raw`"[^"\\\x00-\x1f]*"`;

/**
 * A delta line exactly as Claude Code prints it, field by field: the stream event, then its
 * session, parent and the plain string fields after them. Anything else (other key orders,
 * more fields, nested values) does not match and is parsed whole.
 */
const deltaLine = new RegExp(
  String.raw`^\{"type":"stream_event","event":\{"type":"content_block_delta","index":(?:0|[1-9]\d*),"delta":\{"type":` +
    String.raw`(?:"text_delta","text":${literal}|"thinking_delta","thinking":${literal})\}\},` +
    String.raw`"session_id":${plain},"parent_tool_use_id":(null|${plain})(?:,"[a-z_]+":${plain})*\}$`,
);

/**
 * Most lines of a chatty turn (`--include-partial-messages`) are text deltas, a few words each
 * wrapped in about 250 bytes of envelope. This reads such a line without building the envelope's
 * objects: one anchored match and JSON.parse of the delta's string alone, a third of the cost of
 * parsing the line. A line it does not read exactly as JSON.parse would (any other shape, a bad
 * escape) is null, for the full parse to handle.
 */
export function readStreamDelta(line: string): StreamDelta | null {
  const match = deltaLine.exec(line);
  if (!match) return null;
  const [, text, thinking, parent] = match;
  try {
    return {
      channel: text === undefined ? 'reasoning' : 'text',
      text: JSON.parse(text ?? thinking!) as string,
      parentToolUseId: parent === 'null' ? null : (JSON.parse(parent!) as string),
    };
  } catch {
    return null;
  }
}
