import { MAX_EVENT_BYTES, type AttemptEvent, type EventPage } from '@coord/runner-protocol';
import { ApiError } from '../errors.js';
import { writableAttempt } from './attempts.js';
import type { Store } from './store.js';
import { visibleAttempt } from './views.js';

/**
 * Stores a batch idempotently (a seq already held is ignored) and answers the highest seq held
 * with no gap below it. The ack lives on the attempt row and only moves forward, so each batch
 * costs the new rows plus a short walk, not a scan of the whole log.
 */
export function appendEvents(
  store: Store,
  accountId: string,
  runnerId: string,
  attemptId: string,
  events: AttemptEvent[],
): number {
  const encoded = events.map((e, i) => {
    const data = JSON.stringify(e.data);
    if (Buffer.byteLength(data) > MAX_EVENT_BYTES) {
      throw new ApiError(
        400,
        'request.invalid',
        `Event seq ${e.seq} is larger than ${MAX_EVENT_BYTES} bytes`,
        {
          issues: [{ path: `events.${i}.data`, message: `larger than ${MAX_EVENT_BYTES} bytes` }],
        },
      );
    }
    return { ...e, data };
  });
  return store.tx(() => {
    const attempt = writableAttempt(store, accountId, runnerId, attemptId);
    const insert = store.sql(
      'INSERT OR IGNORE INTO events (attempt_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)',
    );
    let sessionId: string | null = null;
    for (const [i, e] of encoded.entries()) {
      const inserted = insert.run(attemptId, e.seq, e.at, e.type, e.data).changes > 0;
      const candidate = sessionIdOf(events[i]!.data);
      if (inserted && typeof candidate === 'string' && candidate.length <= 200) sessionId = candidate;
    }
    // The agent's session id usually arrives as an event: keep it so a requeued attempt can resume.
    if (sessionId !== null && attempt.completion === null) {
      store.sql('UPDATE attempts SET session_id = ? WHERE id = ?').run(sessionId, attemptId);
    }
    let ack = attempt.events_acked;
    const next = store.sql('SELECT seq FROM events WHERE attempt_id = ? AND seq > ? ORDER BY seq');
    for (const row of next.iterate(attemptId, ack) as Iterable<{ seq: number }>) {
      if (row.seq !== ack + 1) break;
      ack = row.seq;
    }
    if (ack !== attempt.events_acked) {
      store.sql('UPDATE attempts SET events_acked = ? WHERE id = ?').run(ack, attemptId);
    }
    return ack;
  });
}

export function listEvents(
  store: Store,
  accountId: string,
  attemptId: string,
  after: number,
  limit: number,
): EventPage {
  const attempt = visibleAttempt(store, accountId, attemptId);
  const rows = store
    .sql('SELECT seq, at, type, data FROM events WHERE attempt_id = ? AND seq > ? ORDER BY seq LIMIT ?')
    .all(attemptId, after, limit) as { seq: number; at: string; type: string; data: string }[];
  return {
    events: rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      type: r.type,
      data: JSON.parse(r.data) as Record<string, unknown>,
    })),
    ack: attempt.events_acked,
  };
}

/**
 * The agent session an event announces: the runner sends it as a `job.agent` event wrapping the
 * agent's `session.started`; a bare `sessionId` field is accepted too.
 */
function sessionIdOf(data: Record<string, unknown>): unknown {
  const inner = data['event'];
  if (inner && typeof inner === 'object' && (inner as { type?: unknown }).type === 'session.started') {
    return (inner as { sessionId?: unknown }).sessionId;
  }
  return data['sessionId'];
}

/**
 * The nearest event from `fromSeq` (inclusive) in `direction` that starts a tool call, or whose
 * stored JSON contains `text` (case-insensitive for ASCII, like SQLite's LIKE): the log view's
 * search and "next tool call" without sending the whole log to the page.
 */
export function findEvent(
  store: Store,
  accountId: string,
  attemptId: string,
  query: { text: string } | { toolCalls: true },
  fromSeq: number,
  direction: 1 | -1,
): number | null {
  visibleAttempt(store, accountId, attemptId);
  const [cmp, order] = direction === 1 ? ['>=', 'ASC'] : ['<=', 'DESC'];
  const where =
    'toolCalls' in query
      ? `type = 'job.agent' AND json_extract(data, '$.event.type') = 'tool.started'`
      : `data LIKE @pattern ESCAPE '\\'`;
  const pattern = 'text' in query ? `%${query.text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : null;
  const row = store
    .sql(
      `SELECT seq FROM events WHERE attempt_id = @attempt AND seq ${cmp} @from AND ${where} ORDER BY seq ${order} LIMIT 1`,
    )
    .get({ attempt: attemptId, from: fromSeq, ...(pattern !== null ? { pattern } : {}) }) as
    { seq: number } | undefined;
  return row?.seq ?? null;
}
