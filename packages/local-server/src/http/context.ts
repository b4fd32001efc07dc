import type { HttpBindings } from '@hono/node-server';
import type { AssignmentEnvelope } from '@coord/runner-protocol';
import type { Context } from 'hono';
import type { WaiterQueue } from '../claims/waiters.js';
import type { Account } from '../db/accounts.js';
import type { Store } from '../db/store.js';
import type { HostPolicy } from './guards.js';

export interface Deps {
  store: Store;
  claims: WaiterQueue<AssignmentEnvelope>;
  /** Known once the server listens (it needs the port). */
  policy(): HostPolicy;
}

export type AppEnv = { Bindings: Partial<HttpBindings>; Variables: { account: Account } };
export type Ctx = Context<AppEnv>;
