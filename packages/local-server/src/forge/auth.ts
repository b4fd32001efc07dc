import { accountByToken } from '../db/accounts.js';
import type { Store } from '../db/store.js';
import { hashToken } from '../util/ids.js';

/** Who is calling the forge: an account (any of its repos) or one attempt (only its job's repo). */
export type ForgePrincipal =
  | { kind: 'account'; name: string; accountId: string }
  | { kind: 'attempt'; name: string; accountId: string; owner: string; repo: string };

export function forgePrincipal(store: Store, token: string | null): ForgePrincipal | null {
  if (!token) return null;
  const account = accountByToken(store, token);
  if (account) return { kind: 'account', name: account.name, accountId: account.id };
  // Per-attempt tokens are valid only while their attempt holds an unexpired lease.
  const row = store
    .sql(
      `SELECT a.id, j.repo_owner, j.repo_name, j.submitted_by, ac.name AS account_name
       FROM attempts a JOIN jobs j ON j.id = a.job_id JOIN accounts ac ON ac.id = j.submitted_by
       WHERE a.forge_token_hash = ? AND a.status = 'active' AND a.lease_expires_at >= ?`,
    )
    .get(hashToken(token), Date.now()) as
    | { id: string; repo_owner: string; repo_name: string; submitted_by: string; account_name: string }
    | undefined;
  if (!row) return null;
  return {
    kind: 'attempt',
    name: row.account_name,
    accountId: row.submitted_by,
    owner: row.repo_owner,
    repo: row.repo_name,
  };
}

/** Accounts reach every repository on this local forge; an attempt token only its job's. */
export function mayAccess(principal: ForgePrincipal, owner: string, repo: string): boolean {
  return principal.kind === 'account' || (principal.owner === owner && principal.repo === repo);
}
