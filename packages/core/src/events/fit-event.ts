import { MAX_EVENT_BYTES } from '@coord/runner-protocol';

/** Room left for the envelope (seq, at, type) and the marker text. */
const HEADROOM = 1024;

/**
 * Makes an event's data fit the server's per-event limit by shortening its longest strings (an
 * agent's huge tool output, a pasted file), keeping the structure and saying what was cut. An
 * event that does not fit would be refused with its whole batch and block every later event.
 */
export function fitEventData(
  data: Record<string, unknown>,
  maxBytes = MAX_EVENT_BYTES,
): Record<string, unknown> {
  const budget = maxBytes - HEADROOM;
  // Most events are far below the limit: a bound says so without serializing them (the spool
  // serializes each event anyway, and a second copy of every one is garbage to collect).
  if (jsonBytesAtMost(data, budget) <= budget) return data;
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most events are told apart by length alone.
  const json = JSON.stringify(data);
  if (json.length * 3 <= budget || Buffer.byteLength(json, 'utf8') <= budget) return data;
  for (let limit = 64 * 1024; limit >= 64; limit = Math.floor(limit / 2)) {
    const fitted = truncateStrings(data, limit) as Record<string, unknown>;
    if (byteLength(fitted) <= budget) return fitted;
  }
  // Pathological (a huge array of small strings): keep only what says what happened.
  return {
    truncated: true,
    note: `event data of ${byteLength(data)} bytes dropped: over the ${maxBytes}-byte limit`,
  };
}

/**
 * An upper bound on the UTF-8 bytes of `JSON.stringify(value)` (a UTF-16 code unit takes at most
 * 6, as a `\u001f` escape), or Infinity once over `limit`, nested deeper than any event or not
 * plain data (a toJSON, a cycle): then the caller measures it exactly.
 */
function jsonBytesAtMost(value: unknown, limit: number, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return 24; // "-2.2250738585072014e-308"
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return 5; // "false", or "null" in an array
    case 'object': {
      if (value === null) return 4;
      if (depth > 32) return Number.POSITIVE_INFINITY;
      const proto = Object.getPrototypeOf(value) as unknown;
      let bytes = 2;
      if (Array.isArray(value)) {
        for (const item of value) {
          bytes += jsonBytesAtMost(item, limit, depth + 1) + 1;
          if (bytes > limit) return Number.POSITIVE_INFINITY;
        }
        return bytes;
      }
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value)
        return Number.POSITIVE_INFINITY;
      for (const [key, item] of Object.entries(value)) {
        bytes += key.length * 6 + 4 + jsonBytesAtMost(item, limit, depth + 1);
        if (bytes > limit) return Number.POSITIVE_INFINITY;
      }
      return bytes;
    }
    default:
      return Number.POSITIVE_INFINITY; // a bigint: JSON.stringify says what is wrong
  }
}

function truncateStrings(value: unknown, limit: number): unknown {
  if (typeof value === 'string') {
    if (value.length <= limit) return value;
    return `${value.slice(0, limit)}… [${value.length - limit} more characters cut by the runner]`;
  }
  if (Array.isArray(value)) return value.map((v) => truncateStrings(v, limit));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, truncateStrings(v, limit)]));
  }
  return value;
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
