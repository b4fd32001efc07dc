import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { AssignmentEnvelope, WebSignInLink } from '@coord/runner-protocol';
import { WaiterQueue } from './claims/waiters.js';
import { resolveTimings, type ServerTimings } from './config.js';
import { DEFAULT_ACCOUNT, ensureDefaultAccount } from './db/accounts.js';
import { resumeLeasesAfterRestart, sweepExpiredLeases } from './db/attempts.js';
import { Store } from './db/store.js';
import { GIT_PREFIX, handleGitHttp } from './forge/git-http.js';
import { createApp } from './http/app.js';
import { checkHostAndOrigin, hostPolicy, type HostPolicy } from './http/guards.js';
import { setSecurityHeaders } from './http/security-headers.js';
import { ApiError } from './errors.js';
import { iso } from './util/ids.js';
import { readLastPort, writeLastPort } from './last-port.js';
import { createSignInLink, signInLinkUrl } from './web/sign-in-links.js';

export interface LocalServerOptions {
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * Without `port`: listen on the port of this data dir's last run when it is free, so that a
   * restart keeps the address runners and job URLs know (else a free one; `movedFrom` says so).
   */
  keepPort?: boolean;
  host?: string;
  /**
   * URLs people reach this server by besides the address it listens on (a reverse proxy, a DNS
   * name), e.g. `https://coord.example.com`. Requests naming any other host are refused.
   */
  publicUrls?: string[];
  timings?: Partial<ServerTimings>;
}

export interface LocalServer {
  /** e.g. `http://127.0.0.1:43123` (no trailing slash). */
  url: string;
  /**
   * With `keepPort`, when the last run's port was taken: that run's URL. Runners signed in to it
   * must sign in again, and jobs submitted then carry it.
   */
  movedFrom: string | null;
  /** The default account's API token (also in `<dataDir>/token`). */
  token: string;
  store: Store;
  /** A one-time link that signs the default account in to the web page (for `coord-runner local`). */
  signInLink(): WebSignInLink;
  /** How many claim long polls are parked right now (tests wait on this instead of sleeping). */
  parkedClaims(): number;
  close(): Promise<void>;
}

/** Starts the durable Coord-compatible server (protocol v1, forge, web page) on a data dir. */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  hostPolicy(host, 0, options.publicUrls); // throws on a bad publicUrls entry before anything starts
  const store = new Store(options.dataDir, resolveTimings(options.timings));
  const token = ensureDefaultAccount(store);
  const claims = new WaiterQueue<AssignmentEnvelope>();
  const unsubscribe = store.onReady(() => claims.wake());
  let policy: HostPolicy | null = null;
  const policyNow = () => {
    if (!policy) throw new Error('the server is not listening yet');
    return policy;
  };
  const app = createApp({ store, claims, policy: policyNow });
  const honoListener = getRequestListener(app.fetch);

  // Every request, git included, passes the Host and Origin checks before anything else runs.
  const server: Server = createServer((req, res) => {
    setSecurityHeaders(res);
    const refusal = policy ? checkHostAndOrigin(req, policy) : null;
    if (!policy || refusal) return refuse(res, refusal);
    if (req.url?.startsWith(GIT_PREFIX)) handleGitHttp(store, req, res);
    else void honoListener(req, res);
  });
  // Long polls are held open by design; the node defaults would cut them or keep idle sockets long.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const urlOf = (port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const lastPort = options.port === undefined && options.keepPort ? readLastPort(options.dataDir) : null;
  let movedFrom: string | null = null;
  try {
    if (lastPort === null) await listen(options.port ?? 0);
    else {
      try {
        await listen(lastPort);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        movedFrom = urlOf(lastPort);
        await listen(0);
      }
    }
  } catch (error) {
    unsubscribe();
    store.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  policy = hostPolicy(host, port, options.publicUrls);
  const url = urlOf(port);
  store.baseUrl = url;
  if (options.keepPort) writeLastPort(options.dataDir, port);

  // The downtime of a restart is not held against the runners' leases; then sweeps, periodically.
  resumeLeasesAfterRestart(store);
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

  const signInLink = (): WebSignInLink => {
    const { code, expiresAt } = createSignInLink(store, DEFAULT_ACCOUNT);
    return { url: signInLinkUrl(url, code), expiresAt: iso(expiresAt) };
  };
  return { url, movedFrom, token, store, signInLink, parkedClaims: () => claims.size, close };
}

/** The guard's answer, in the API's error shape; the body was not read, so the connection closes. */
function refuse(res: ServerResponse, error: ApiError | null): void {
  const answer = error ?? new ApiError(500, 'server.internal', 'The server is not listening yet');
  // The security headers are set already (setSecurityHeaders), as on every answer.
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(JSON.stringify(answer.toBody()));
}
