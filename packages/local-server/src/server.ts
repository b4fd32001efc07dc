import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { AssignmentEnvelope } from '@coord/runner-protocol';
import { WaiterQueue } from './claims/waiters.js';
import { resolveTimings, type ServerTimings } from './config.js';
import { ensureDefaultAccount } from './db/accounts.js';
import { sweepExpiredLeases } from './db/attempts.js';
import { Store } from './db/store.js';
import { GIT_PREFIX, handleGitHttp } from './forge/git-http.js';
import { createApp } from './http/app.js';

export interface LocalServerOptions {
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  timings?: Partial<ServerTimings>;
}

export interface LocalServer {
  /** e.g. `http://127.0.0.1:43123` (no trailing slash). */
  url: string;
  /** The default account's API token (also in `<dataDir>/token`). */
  token: string;
  store: Store;
  /** How many claim long polls are parked right now (tests wait on this instead of sleeping). */
  parkedClaims(): number;
  close(): Promise<void>;
}

/** Starts the durable Coord-compatible server (protocol v1, forge, web page) on a data dir. */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const store = new Store(options.dataDir, resolveTimings(options.timings));
  const token = ensureDefaultAccount(store);
  const claims = new WaiterQueue<AssignmentEnvelope>();
  const unsubscribe = store.onReady(() => claims.wake());
  const app = createApp({ store, claims });
  const honoListener = getRequestListener(app.fetch);

  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith(GIT_PREFIX)) handleGitHttp(store, req, res);
    else void honoListener(req, res);
  });
  // Long polls are held open by design; the node defaults would cut them or keep idle sockets long.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;

  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    unsubscribe();
    store.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  store.baseUrl = url;

  // Expired leases from before a restart are swept at once, then periodically.
  sweepExpiredLeases(store);
  const sweeper = setInterval(() => {
    try {
      sweepExpiredLeases(store);
    } catch (error) {
      console.error('coord-local-server: lease sweep failed', error);
    }
  }, store.timings.sweepIntervalMs);
  sweeper.unref();

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sweeper);
      unsubscribe();
      claims.flush();
      store.beginClose();
      // Answered long polls leave keep-alive sockets behind: close them as they go idle, and
      // cut whatever is still busy after a second.
      await new Promise<void>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), 20);
        const hard = setTimeout(() => server.closeAllConnections(), 1_000);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(hard);
          resolve();
        });
        server.closeIdleConnections();
      });
      store.close();
    })();
    return closing;
  };

  return { url, token, store, parkedClaims: () => claims.size, close };
}
