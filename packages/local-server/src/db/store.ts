import { setMaxListeners } from 'node:events';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import type { ServerTimings } from '../config.js';
import { openDatabase } from './open.js';

/** The server's durable state and the few in-memory hooks around it. One per data dir. */
export class Store {
  readonly db: Database;
  readonly artifactsDir: string;
  readonly forgeDir: string;
  /** Set once the HTTP server listens; the forge needs it for clone and API URLs. */
  baseUrl = '';
  private readonly readyListeners = new Set<() => void>();
  private readonly controlListeners = new Set<(attemptId: string) => void>();
  private readonly closeController = new AbortController();
  /** Aborted when the server starts closing: long-lived streams end on it. */
  readonly closing: AbortSignal = this.closeController.signal;

  constructor(
    readonly dataDir: string,
    readonly timings: ServerTimings,
  ) {
    // Owner-only: the data dir holds the token file, the database, artifacts and repositories.
    // A dir that already exists with a wider mode (an older version, a careless mkdir) is tightened.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    this.artifactsDir = join(dataDir, 'artifacts');
    this.forgeDir = join(dataDir, 'forge');
    mkdirSync(this.artifactsDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.forgeDir, { recursive: true, mode: 0o700 });
    this.db = openDatabase(join(dataDir, 'coord.db'));
    this.runInTransaction = this.db.transaction((fn: () => unknown) => fn()) as Store['runInTransaction'];
    // Every open stream (a runner's hints, a browser's job page) listens for the close, and
    // removes its listener when it ends: many listeners are many streams, not a leak.
    setMaxListeners(0, this.closing);
  }

  private readonly statements = new Map<string, Statement>();

  /**
   * The prepared statement for `source`, compiled once per server: preparing on every request
   * cost more than running the statement (SQLite parses and plans it each time).
   */
  sql(source: string): Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }

  /**
   * One transaction function for every `tx`: better-sqlite3 builds a wrapper per `transaction()`
   * call, which cost more than the BEGIN and COMMIT it runs.
   */
  private readonly runInTransaction: { immediate<T>(fn: () => T): T };

  /** Runs `fn` in one IMMEDIATE transaction (takes the write lock up front: no upgrade deadlocks). */
  tx<T>(fn: () => T): T {
    return this.runInTransaction.immediate(fn);
  }

  /** Called after a commit that made some job Ready: parked claims get a chance to take it. */
  notifyReady(): void {
    for (const listener of this.readyListeners) listener();
  }

  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Called after a commit that left a control (cancel, stop, answer) for an attempt's runner. */
  notifyControl(attemptId: string): void {
    for (const listener of this.controlListeners) listener(attemptId);
  }

  onControl(listener: (attemptId: string) => void): () => void {
    this.controlListeners.add(listener);
    return () => this.controlListeners.delete(listener);
  }

  beginClose(): void {
    this.closeController.abort();
  }

  close(): void {
    this.beginClose();
    this.readyListeners.clear();
    this.controlListeners.clear();
    this.db.close();
  }
}
