import { randomBytes } from 'node:crypto';
import type { Store } from '../db/store.js';
import { hashToken } from '../util/ids.js';

/** Long enough to open it after a coffee, short enough that an old terminal's scrollback is harmless. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60 * 1000;

/**
 * A one-time code that signs an account in to the web page, carried in the link's fragment (never
 * sent in a request line, so never in an access log). The database keeps only its sha256.
 */
export function createSignInLink(
  store: Store,
  accountId: string,
  now = Date.now(),
): { code: string; expiresAt: number } {
  const code = randomBytes(32).toString('base64url');
  const expiresAt = now + SIGN_IN_LINK_TTL_MS;
  store.tx(() => {
    store.sql('DELETE FROM sign_in_links WHERE expires_at <= ?').run(now);
    store
      .sql('INSERT INTO sign_in_links (hash, account_id, expires_at) VALUES (?, ?, ?)')
      .run(hashToken(code), accountId, expiresAt);
  });
  return { code, expiresAt };
}

/** The account a code signs in, once: using it spends it, used or expired it signs in nobody. */
export function redeemSignInLink(store: Store, code: string, now = Date.now()): string | null {
  const row = store
    .sql('DELETE FROM sign_in_links WHERE hash = ? RETURNING account_id, expires_at')
    .get(hashToken(code)) as { account_id: string; expires_at: number } | undefined;
  return row && row.expires_at > now ? row.account_id : null;
}

/** The page a code opens: the sign-in page, which redeems the fragment and goes on to the board. */
export function signInLinkUrl(origin: string, code: string): string {
  return `${origin}/sign-in#code=${code}`;
}
