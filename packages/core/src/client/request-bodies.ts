import { completeRequestSchema, type CompleteRequest } from '@coord/runner-protocol';

/**
 * One upload's events, each an `AttemptEvent` serialized as JSON: a spool line (its newline may
 * stay, as JSON whitespace). What the batch holds is the spool's to vouch for; the server
 * validates every event.
 */
export type EventLines = readonly Uint8Array[];

const BATCH_OPEN = Buffer.from('{"events":[');
const BATCH_COMMA = Buffer.from(',');
const BATCH_CLOSE = Buffer.from(']}');

/** The body of an event upload, `{"events":[...]}`, put together from the lines as they are. */
export function eventBatchBody(events: EventLines): Buffer {
  return objectWithEvents(BATCH_OPEN, events);
}

/** A completion's body: the report's fields and, when given, its `events` as spooled. */
export function completionBody(request: CompleteRequest, events?: EventLines): Buffer {
  const report = Buffer.from(JSON.stringify(completeRequestSchema.parse(request)));
  if (!events?.length) return report;
  // `{...}` becomes `{...,"events":[...]}`: the report always has fields, so the comma is right.
  return objectWithEvents(Buffer.concat([report.subarray(0, -1), COMPLETION_EVENTS]), events);
}

const COMPLETION_EVENTS = Buffer.from(',"events":[');

/** `open` (an object up to its `events` array's bracket), the lines comma-separated, then `]}`. */
function objectWithEvents(open: Uint8Array, events: EventLines): Buffer {
  const parts: Uint8Array[] = [open];
  for (const [i, line] of events.entries()) {
    if (i > 0) parts.push(BATCH_COMMA);
    parts.push(line);
  }
  parts.push(BATCH_CLOSE);
  return Buffer.concat(parts);
}
