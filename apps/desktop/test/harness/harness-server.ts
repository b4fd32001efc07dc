import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '@coord/runner-core';
import type { DesktopNotification } from '../../src/main/attention.js';
import { createCredentialStore, type SafeStorageLike } from '../../src/main/credentials.js';
import { createDesktopMain, type DesktopMain } from '../../src/main/desktop-main.js';
import { createOutputBuffer } from '../../src/main/output-buffer.js';
import { runnerCommand } from '../../src/main/runner-command.js';
import { asRunnerChild } from '../../src/main/runner-supervisor.js';
import type { TrayState } from '../../src/main/tray-state.js';
import { IPC, type DesktopPush } from '../../src/shared/desktop-api.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
export const CLI_BIN = fileURLToPath(new URL('../../../cli/bin/coord-runner.js', import.meta.url));
const WINDOW_ID = 1;

/**
 * The OS keychain cannot run here (no Secret Service on these machines): a reversible seal that
 * still never writes the token in the clear, so the tests can check the file holds no token.
 */
export const testSafeStorage: SafeStorageLike = {
  isEncryptionAvailable: () => true,
  encryptString: (plain) =>
    Buffer.from(`sealed:${Buffer.from(plain).toString('base64').split('').reverse().join('')}`),
  decryptString: (sealed) => {
    const text = sealed.toString();
    if (!text.startsWith('sealed:')) throw new Error('not sealed here');
    return Buffer.from(text.slice(7).split('').reverse().join(''), 'base64').toString();
  },
};

export interface HarnessOptions {
  stateDir: string;
  /** Saved before launch, as after a sign-in (omit to start signed out). */
  credentials?: { server: string; token: string };
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

export interface DesktopHarness {
  url: string;
  desktop: DesktopMain;
  notifications: DesktopNotification[];
  tray: TrayState[];
  opened: string[];
  runnerOutput(): string;
  close(): Promise<void>;
}

/**
 * The desktop app's main process without Electron, for a real Chromium: the renderer's built page,
 * the real `createDesktopMain` (router, supervisor, runner link, notifications) with its runner
 * as a real `coord-runner start` process, and IPC carried over HTTP and server-sent events.
 */
export async function startDesktopHarness(options: HarnessOptions): Promise<DesktopHarness> {
  const notifications: DesktopNotification[] = [];
  const tray: TrayState[] = [];
  const opened: string[] = [];
  const streams = new Set<ServerResponse>();
  const output = createOutputBuffer(join(options.stateDir, 'logs', 'desktop-runner.log'));
  const credentials = createCredentialStore(
    join(options.stateDir, 'desktop-credentials.json'),
    testSafeStorage,
  );
  if (options.credentials) credentials.save(options.credentials);
  let loginItem = false;
  let pageUrl = '';

  const send = (push: DesktopPush) => {
    for (const res of streams) res.write(`data: ${JSON.stringify(push)}\n\n`);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://harness');
    if (req.method === 'POST' && url.pathname === '/ipc/invoke') {
      if (url.searchParams.get('channel') !== IPC.invoke) {
        res.writeHead(404).end();
        return;
      }
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        // What Electron's IpcMainInvokeEvent carries: the window and the frame that sent it.
        const event = { sender: { id: WINDOW_ID }, senderFrame: { url: pageUrl } };
        void desktop.handle(event, JSON.parse(body)).then((reply) => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
        });
      });
      return;
    }
    if (url.pathname === '/ipc/push') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    serveStatic(url.pathname, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  pageUrl = `${url}/index.html`;

  const desktop = createDesktopMain({
    stateDir: options.stateDir,
    version: '0.1.0-harness',
    pageUrl,
    windowIds: () => [WINDOW_ID],
    credentials,
    clientName: 'Coord Runner desktop (harness)',
    spawnRunner: (saved) => {
      const command = runnerCommand({
        cliPath: CLI_BIN,
        stateDir: options.stateDir,
        credentials: saved,
        baseEnv: options.env ?? process.env,
        name: 'desktop-harness-runner',
      });
      const child = fork(command.modulePath, command.args, { env: command.env, stdio: 'pipe' });
      return asRunnerChild(
        child,
        () => void child.kill('SIGKILL'),
        (chunk) => output.write(chunk),
      );
    },
    runnerOutput: () => output.last(),
    push: (push) => send(push),
    notify: (n) => notifications.push(n),
    onTray: (state) => tray.push(state),
    openExternal: (link) => opened.push(link),
    loginItem: { get: () => loginItem, set: (on) => void (loginItem = on) },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  desktop.launch();

  return {
    url,
    desktop,
    notifications,
    tray,
    opened,
    runnerOutput: () => output.last(),
    async close() {
      await desktop.quit();
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The built renderer, with the harness's preload in front of the app's script. */
function serveStatic(path: string, res: ServerResponse): void {
  if (path === '/favicon.ico') {
    res.writeHead(204).end(); // a browser asks; Electron's file:// page does not
    return;
  }
  const file =
    path === '/' || path === '/index.html'
      ? join(DIST, 'renderer', 'index.html')
      : path === '/harness-preload.js'
        ? join(DIST, 'harness', 'harness-preload.js')
        : join(DIST, 'renderer', path.replace(/^\/+/, '').replace(/\.\.+/g, ''));
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch {
    res.writeHead(404).end();
    return;
  }
  if (file.endsWith('index.html')) {
    body = Buffer.from(
      body
        .toString()
        .replace(
          '<link rel="stylesheet"',
          '<script src="./harness-preload.js"></script>\n    <link rel="stylesheet"',
        ),
    );
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
}
