import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { ControlService } from '@coord/runner-core';
import { CliError, EXIT } from '../exit-codes.js';
import { controlEndpoint } from '@coord/runner-core/control-client';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ControlEndpoint {
  readonly path: string;
  /** Starts answering with this service (until then every request is told the runner is starting). */
  serve(service: ControlService): void;
  close(): Promise<void>;
}

/**
 * Claims the state dir's control endpoint and listens on it: HTTP over a Unix socket (or a named
 * pipe). HTTP because node:http frames requests, bodies and streams for free and anyone can poke
 * it with `curl --unix-socket`; `POST /call` answers one JSON reply, `POST /subscribe` streams
 * NDJSON lines (the reply, then one push per line) until the subscription ends.
 *
 * A socket left by a killed runner refuses connections: it is removed and replaced. One that
 * answers belongs to a live runner, so this one refuses to start (one runner per state dir).
 */
export async function openControlEndpoint(stateDir: string): Promise<ControlEndpoint> {
  const { dir, path } = controlEndpoint(stateDir);
  if (dir) ownerOnlyDir(dir);
  if (process.platform !== 'win32' && (await answers(path))) throw alreadyRunning(stateDir);
  if (process.platform !== 'win32') removeStale(path);

  let service: ControlService | null = null;
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'POST' || (req.url !== '/call' && req.url !== '/subscribe')) {
      reply(404, { ok: false, error: { code: 'control.bad_request', message: 'POST /call or /subscribe.' } });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(await readBody(req));
    } catch (error) {
      reply(400, { ok: false, error: { code: 'control.bad_request', message: (error as Error).message } });
      return;
    }
    if (!service) {
      reply(503, {
        ok: false,
        error: {
          code: 'control.unavailable',
          message: 'The runner is starting.',
          hint: 'Try again in a moment.',
        },
      });
      return;
    }
    if (req.url === '/call') {
      reply(200, await service.call(message));
      return;
    }
    const subscription = service.subscribe(message);
    if ('error' in subscription) {
      reply(200, { ok: false, error: subscription.error });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(`${JSON.stringify({ ok: true, result: null })}\n`);
    streams.add(res);
    const live = subscription.pushes$.subscribe({
      next: (push) => res.write(`${JSON.stringify(push)}\n`),
      error: (error: unknown) => {
        res.end(`${JSON.stringify({ kind: 'end', reason: 'runner_stopped', error: String(error) })}\n`);
      },
      complete: () => res.end(),
    });
    res.on('close', () => {
      live.unsubscribe();
      streams.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      // Two runners started at once: the other one got there first.
      reject(error.code === 'EADDRINUSE' ? alreadyRunning(stateDir) : endpointError(path, error));
    };
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
  if (process.platform !== 'win32') chmodSync(path, 0o600);
  // An exit at once (a third Ctrl-C, `stop --now`) takes the socket along; only a kill leaves it.
  const removeOnExit = () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  if (process.platform !== 'win32') process.once('exit', removeOnExit);

  return {
    path,
    serve: (next) => void (service = next),
    close: () => {
      process.off('exit', removeOnExit);
      return closeServer(server, streams, path);
    },
  };
}

function closeServer(server: Server, streams: Set<ServerResponse>, path: string): Promise<void> {
  for (const res of streams) res.end();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }).then(() => {
    // node removes its socket file on close; a leftover (a crash mid-close) is stale anyway.
    if (process.platform !== 'win32') removeStale(path);
  });
}

/** True when something listens on the socket (a live runner). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function removeStale(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw endpointError(path, error);
  }
}

/** The socket's directory: created owner-only, and refused if someone else owns it. */
function ownerOnlyDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
      throw new Error('it is not a directory owned by this user');
    }
    chmodSync(dir, 0o700);
  } catch (error) {
    throw endpointError(dir, error);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('The request is too large.'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function alreadyRunning(stateDir: string): CliError {
  return new CliError(
    EXIT.runnerRunning,
    `A runner is already running on the state dir ${stateDir}.`,
    'See it with `coord-runner status`, stop it with `coord-runner stop`, or start this one with another --state-dir.',
  );
}

function endpointError(path: string, cause: unknown): CliError {
  return new CliError(
    EXIT.failed,
    `Cannot open the runner's control endpoint ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
    'Check the permissions of the state dir (it must belong to you).',
    { cause },
  );
}
