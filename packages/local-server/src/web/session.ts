import { randomBytes } from 'node:crypto';
import { accountById, type Account } from '../db/accounts.js';
import type { Store } from '../db/store.js';
import { hashToken } from '../util/ids.js';

export const SESSION_COOKIE = 'coord_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * A web page session for an account that signed in with its token. The cookie carries a random id;
 * the database only its sha256, so a copy of the database signs nobody in.
 */
export function createSession(store: Store, accountId: string, now = Date.now()): string {
  const id = randomBytes(32).toString('base64url');
  store.tx(() => {
    store.sql('DELETE FROM sessions WHERE expires_at <= ?').run(now);
    store
      .sql('INSERT INTO sessions (hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashToken(id), accountId, now, now + SESSION_TTL_MS);
  });
  return id;
}

export function sessionAccount(store: Store, id: string | undefined, now = Date.now()): Account | null {
  if (!id) return null;
  const row = store
    .sql('SELECT account_id FROM sessions WHERE hash = ? AND expires_at > ?')
    .get(hashToken(id), now) as { account_id: string } | undefined;
  return row ? accountById(store, row.account_id) : null;
}

export function deleteSession(store: Store, id: string): void {
  store.sql('DELETE FROM sessions WHERE hash = ?').run(hashToken(id));
}
