import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, newToken } from '../util/ids.js';
import type { Store } from './store.js';

export interface Account {
  id: string;
  name: string;
}

export interface Workspace {
  id: string;
  name: string;
}

export const DEFAULT_ACCOUNT = 'local';
export const DEFAULT_WORKSPACE = 'local';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * Adds an account with a fresh API token (returned once; only its hash is stored) and makes it a
 * member of `workspaces` (created when missing; default: the `local` workspace).
 */
export function createAccount(
  store: Store,
  options: { name: string; id?: string; workspaces?: string[] },
): Account & { token: string } {
  const id = options.id ?? options.name;
  if (!NAME.test(options.name) || !NAME.test(id))
    throw new TypeError(`invalid account name: ${options.name}`);
  const token = newToken('coord');
  const now = Date.now();
  store.tx(() => {
    store.sql('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)').run(id, options.name, now);
    store
      .sql('INSERT INTO tokens (hash, account_id, created_at) VALUES (?, ?, ?)')
      .run(hashToken(token), id, now);
    for (const ws of options.workspaces ?? [DEFAULT_WORKSPACE]) addMember(store, ws, id);
  });
  return { id, name: options.name, token };
}

/** Makes `accountId` a member of workspace `workspaceId`, creating the workspace if needed. */
export function addMember(
  store: Store,
  workspaceId: string,
  accountId: string,
  workspaceName = workspaceId,
): void {
  if (!NAME.test(workspaceId)) throw new TypeError(`invalid workspace id: ${workspaceId}`);
  store
    .sql('INSERT OR IGNORE INTO workspaces (id, name, created_at) VALUES (?, ?, ?)')
    .run(workspaceId, workspaceName, Date.now());
  store
    .sql('INSERT OR IGNORE INTO memberships (workspace_id, account_id) VALUES (?, ?)')
    .run(workspaceId, accountId);
}

/**
 * First start: creates account `local` with workspace `local` and writes its token to
 * `<dataDir>/token` (0600). Later starts read the token back from there.
 */
export function ensureDefaultAccount(store: Store): string {
  const tokenFile = join(store.dataDir, 'token');
  const exists = store.sql('SELECT 1 FROM accounts WHERE id = ?').get(DEFAULT_ACCOUNT) !== undefined;
  if (exists && existsSync(tokenFile)) {
    chmodSync(tokenFile, 0o600);
    return readFileSync(tokenFile, 'utf8').trim();
  }
  if (exists) {
    // The token file was removed: mint a new token rather than lock the owner out.
    const token = newToken('coord');
    store
      .sql('INSERT INTO tokens (hash, account_id, created_at) VALUES (?, ?, ?)')
      .run(hashToken(token), DEFAULT_ACCOUNT, Date.now());
    writeTokenFile(tokenFile, token);
    return token;
  }
  const { token } = createAccount(store, { name: DEFAULT_ACCOUNT, workspaces: [DEFAULT_WORKSPACE] });
  writeTokenFile(tokenFile, token);
  return token;
}

/** `mode` applies only when the file is created: an existing one is tightened too. */
function writeTokenFile(file: string, token: string): void {
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function accountByToken(store: Store, token: string): Account | null {
  const row = store
    .sql('SELECT a.id, a.name FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.hash = ?')
    .get(hashToken(token)) as Account | undefined;
  return row ?? null;
}

export function accountById(store: Store, id: string): Account | null {
  return (store.sql('SELECT id, name FROM accounts WHERE id = ?').get(id) as Account | undefined) ?? null;
}

export function workspacesOf(store: Store, accountId: string): Workspace[] {
  return store
    .sql(
      'SELECT w.id, w.name FROM workspaces w JOIN memberships m ON m.workspace_id = w.id WHERE m.account_id = ? ORDER BY w.id',
    )
    .all(accountId) as Workspace[];
}

export function isMember(store: Store, workspaceId: string, accountId: string): boolean {
  return (
    store
      .sql('SELECT 1 FROM memberships WHERE workspace_id = ? AND account_id = ?')
      .get(workspaceId, accountId) !== undefined
  );
}
