import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { migrate } from './schema.js';

/**
 * WAL + synchronous=NORMAL. A commit is written to the WAL (the OS holds it) before the call
 * returns, so a crash or `kill -9` of the server after an acknowledged write loses nothing: that
 * is the failure the runners' protocol must survive. The WAL is fsynced at checkpoints, not at
 * every commit; only an OS crash or power cut can lose the last commits, never corrupt the file.
 * FULL fsynced every commit, several per job, and made the fsync the server's bottleneck.
 */
export function openDatabase(file: string): Db {
  // SQLite creates the -wal and -shm files with the database file's mode: create it owner-only
  // first, and tighten all three when an older version left them readable by others.
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  }
  db.pragma('synchronous = NORMAL');
  // What a row held before an update or delete (a secret answer once masked) is zeroed in its page,
  // not left in free space; FAST does it without extra writes.
  db.pragma('secure_delete = FAST');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
