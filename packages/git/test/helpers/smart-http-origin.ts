import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, basename } from 'node:path';

export interface SmartHttpOrigin {
  /** `http://127.0.0.1:<port>/<name>.git`: loopback http, which the runner accepts. */
  cloneUrl: string;
  /** Every Authorization header the server received. */
  authorizations: string[];
  /** Holds the next `git-receive-pack` request until `release()`; resolves once one is held. */
  holdNextPush(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

/**
 * A bare repository served over git's smart HTTP by `git http-backend` (the CGI git ships), behind
 * Basic authentication with one token: the transport a real forge offers, on 127.0.0.1.
 */
export async function serveOverHttp(
  bareDir: string,
  expectedAuthorization: string,
): Promise<SmartHttpOrigin> {
  const authorizations: string[] = [];
  let hold: { arrived: () => void; gate: Promise<void>; open: () => void } | null = null;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    if (auth) authorizations.push(auth);
    if (auth !== expectedAuthorization) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
      res.end('Authentication required\n');
      return;
    }
    const [path = '', query = ''] = (req.url ?? '').split('?', 2);
    if (path.endsWith('/git-receive-pack') && hold) {
      const held = hold;
      hold = null;
      held.arrived();
      await held.gate;
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: dirname(bareDir),
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.receivepack',
        GIT_CONFIG_VALUE_0: 'true',
        PATH_INFO: path.replace(/^\/[^/]+\.git/, `/${basename(bareDir)}`),
        REQUEST_METHOD: req.method ?? 'GET',
        QUERY_STRING: query,
        REMOTE_USER: 'runner',
        GATEWAY_INTERFACE: 'CGI/1.1',
        ...(req.headers['content-type'] ? { CONTENT_TYPE: req.headers['content-type'] } : {}),
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }
          : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
    });
    req.pipe(child.stdin);
    child.stderr.resume();
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.end(all.subarray(split + 4));
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let open = () => {};
  return {
    cloneUrl: `http://127.0.0.1:${port}/${basename(bareDir)}`,
    authorizations,
    holdNextPush() {
      return new Promise<void>((arrived) => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        open = release;
        hold = { arrived, gate, open: release };
      });
    },
    release: () => open(),
    close: () =>
      new Promise((resolve) => {
        open();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
