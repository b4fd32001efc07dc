import type { AttemptEvent } from '@coord/runner-protocol';
import type { EventLines } from '../src/client/coord-client.js';

/** What a fake server makes of an upload's lines: the events, as a real server parses them. */
export function parseEventLines(lines: EventLines): AttemptEvent[] {
  return lines.map((line) => JSON.parse(Buffer.from(line).toString('utf8')) as AttemptEvent);
}
