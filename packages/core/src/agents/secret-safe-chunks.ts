import { longestRegisteredSecret, secretSpans, privateKeySpans } from '../redact.js';
import type { AgentEvent } from './agent-event.js';

/** Held back at least: longer than any token format the redactor knows. */
const MIN_HOLD = 256;
/** A held tail never grows past this (a runaway "token"): it is then let through, redacted. */
const MAX_CARRY = 64 * 1024;

export interface SecretSafeChunker {
  /** The events to pass on for `event`, in order: streamed text re-cut, the rest as is. */
  push(event: AgentEvent): readonly AgentEvent[];
  /** Whatever is still held back (the run ended). */
  flush(): readonly AgentEvent[];
}

/**
 * Agents stream output in chunks cut anywhere, so a token can arrive split across two chunks,
 * and each half alone looks like nothing to the redactor. This re-cuts tool output and text deltas
 * so that no secret straddles a cut: the tail of a chunk that might hold the start of one (the
 * partial last line, or at least the longest secret's length) waits for the next chunk of the same
 * stream, or for the stream's end (its tool completed, the turn ended, the process exited). Every
 * chunk can then be redacted on its own. Redacting in core, not in each adapter, covers every agent.
 */
export function createSecretSafeChunker(): SecretSafeChunker {
  const carries = new Map<string, Carry>();
  /** How many of the carries are text deltas' (so that a delta rarely has to look at the others). */
  let deltaCarries = 0;

  /**
   * Adds `text` to the stream `key`'s carry and hands back what can be let through. Runs for every
   * streamed delta: the common outcome (all of it waits) allocates nothing.
   */
  function recut(key: string, text: string, template: CutTemplate): readonly AgentEvent[] {
    let carry = carries.get(key);
    if (!carry) {
      carries.set(key, (carry = { pieces: [], length: 0, newline: false, template }));
      if (template.type === 'message.delta') deltaCarries += 1;
    }
    carry.pieces.push(text);
    carry.length += text.length;
    carry.newline ||= text.includes('\n');
    // Nothing could be cut yet (a short streamed delta, the common case): it waits, unjoined.
    if (!carry.newline && carry.length <= holdLength()) return NONE;
    const buffer = carry.pieces.join('');
    const cut = safeCut(buffer);
    const rest = buffer.slice(cut);
    carry.pieces = rest.length > 0 ? [rest] : [];
    carry.length = rest.length;
    carry.newline = rest.includes('\n');
    return cut > 0 ? [cutEvent(carry.template, buffer.slice(0, cut))] : NONE;
  }

  /** Ends the streams whose keys `match`: what they held is let through, in their order. */
  function release(match: (key: string) => boolean): AgentEvent[] {
    const out: AgentEvent[] = [];
    for (const [key, carry] of carries) {
      if (!match(key)) continue;
      carries.delete(key);
      if (carry.template.type === 'message.delta') deltaCarries -= 1;
      const held = carry.pieces.join('');
      if (held.length > 0) out.push(cutEvent(carry.template, held));
    }
    return out;
  }

  /** Text deltas of a channel end as soon as anything else happens (`keep`: the one going on). */
  function releaseDeltas(keep: string | null): readonly AgentEvent[] {
    if (deltaCarries === 0 || (deltaCarries === 1 && keep !== null && carries.has(keep))) return NONE;
    return release((key) => key.startsWith(DELTA) && key !== keep);
  }

  return {
    push(event) {
      if (event.type === 'tool.output') {
        return recut(`tool\n${event.toolCallId}\n${event.stream}`, event.chunk, event);
      }
      if (event.type === 'message.delta') {
        const key = deltaKey(event.channel);
        const before = releaseDeltas(key);
        const cut = recut(key, event.text, event);
        return before.length === 0 ? cut : [...before, ...cut];
      }
      const before = releaseDeltas(null);
      if (event.type === 'tool.completed') {
        return [...before, ...release((key) => key.startsWith(`tool\n${event.toolCallId}\n`)), event];
      }
      if (event.type === 'turn.completed' || event.type === 'process.exited') {
        return [...before, ...release(() => true), event];
      }
      return [...before, event];
    },
    flush: () => release(() => true),
  };
}

/** Nothing to let through: shared, never changed. */
const NONE: readonly AgentEvent[] = Object.freeze([]);

const DELTA = 'delta\n';
/** The carry key of a delta channel, made once per channel. */
const deltaKeys = new Map<string, string>();
function deltaKey(channel: string): string {
  let key = deltaKeys.get(channel);
  if (key === undefined) deltaKeys.set(channel, (key = `${DELTA}${channel}`));
  return key;
}

/** A stream's first event: each cut of the stream is that event with other text. */
type CutTemplate = Extract<AgentEvent, { type: 'tool.output' | 'message.delta' }>;

function cutEvent(template: CutTemplate, text: string): AgentEvent {
  return template.type === 'tool.output' ? { ...template, chunk: text } : { ...template, text };
}

/** The held-back tail of one stream, in the pieces it came in (joined only when it is cut). */
interface Carry {
  pieces: string[];
  length: number;
  /** Some piece holds a newline: a cut may be possible before `holdLength()` characters. */
  newline: boolean;
  template: CutTemplate;
}

/** Held back at least: the longest secret the redactor knows, or MIN_HOLD. */
const holdLength = () => Math.max(MIN_HOLD, longestRegisteredSecret());

/**
 * Where `buffer` may be cut: after its last newline when that is near the end, else the longest
 * secret's length before the end; then earlier, to the start of any secret the cut would split or
 * that reaches the end of the buffer (it may go on in the next chunk).
 */
function safeCut(buffer: string): number {
  const hold = holdLength();
  let cut = Math.max(0, buffer.length - hold);
  const newline = buffer.lastIndexOf('\n');
  // Secrets hold no newline (but private keys, below), so none can straddle one.
  if (newline + 1 > cut) cut = newline + 1;
  // Everything waits anyway (short streamed deltas, the common case): the searches below only
  // ever move the cut earlier, so they are not needed.
  if (cut === 0) return 0;
  const from = Math.max(0, cut - hold);
  const spans = secretSpans(buffer.slice(from)).map(([s, e]) => [s + from, e + from] as const);
  for (let moved = true; moved;) {
    moved = false;
    for (const [start, end] of spans) {
      if (start < cut && (end > cut || end === buffer.length)) {
        cut = start;
        moved = true;
      }
    }
  }
  // A private key spans lines, so it may start well before the window: never cut one, and an
  // unfinished one waits whole for its end line.
  for (const [start, end] of privateKeySpans(buffer)) {
    if (start < cut && (end > cut || end === buffer.length)) cut = start;
  }
  if (buffer.length - cut > MAX_CARRY) cut = buffer.length - hold;
  return cut;
}
