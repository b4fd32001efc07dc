import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../db/store.js';
import { gitToken } from '../http/auth.js';
import { forgePrincipal, mayAccess, type ForgePrincipal } from './auth.js';
import { gitEnv } from './git.js';
import { REPO_NAME, createRepo, findRepo } from './repos.js';

export const GIT_PREFIX = '/forge/git/';
const PATH = /^\/forge\/git\/([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})\.git(\/[A-Za-z0-9_./-]*)?$/;

function plain(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${message}\n`);
}

/**
 * Git smart HTTP: authenticates, then runs `git http-backend` as a CGI with the request body on
 * its stdin; its `Status:`/header block becomes the response head and the rest streams through.
 */
export function handleGitHttp(store: Store, req: IncomingMessage, res: ServerResponse): void {
  const [rawPath = '', query = ''] = (req.url ?? '').split('?', 2);
  const match = PATH.exec(rawPath);
  if (!match || rawPath.includes('/..') || !REPO_NAME.test(match[2]!))
    return plain(res, 404, 'Repository not found');
  const [, owner, name, rest = '/'] = match as unknown as [string, string, string, string | undefined];

  const principal = forgePrincipal(store, gitToken(req.headers.authorization));
  if (!principal) {
    req.resume();
    return plain(res, 401, 'Authentication required', { 'WWW-Authenticate': 'Basic realm="coord"' });
  }
  if (!findRepo(store, owner, name)) {
    if (!mayPushToCreate(principal, owner, rest, query)) {
      req.resume();
      return plain(res, 404, 'Repository not found');
    }
    // A person's first push of a repository of their own creates it, as `git push` to a new
    // remote does on GitLab: no API call or web form is needed to bring a project to this forge.
    void createRepo(store, principal.accountId, owner, name, { autoInit: false, defaultBranch: 'main' }).then(
      () => serveGit(store, req, res, { owner, name, rest, query, remoteUser: principal.name }),
      () => (req.resume(), plain(res, 500, 'The repository could not be created')),
    );
    return;
  }
  if (!mayAccess(principal, owner, name)) {
    req.resume();
    return plain(res, 404, 'Repository not found');
  }
  serveGit(store, req, res, { owner, name, rest, query, remoteUser: principal.name });
}

/** Only a push (its ref advertisement) by the account that would own the repository. */
function mayPushToCreate(principal: ForgePrincipal, owner: string, rest: string, query: string): boolean {
  return (
    principal.kind === 'account' &&
    principal.name === owner &&
    rest === '/info/refs' &&
    new URLSearchParams(query).get('service') === 'git-receive-pack'
  );
}

/** Runs `git http-backend` for an existing repository the caller may use. */
function serveGit(
  store: Store,
  req: IncomingMessage,
  res: ServerResponse,
  target: { owner: string; name: string; rest: string; query: string; remoteUser: string },
): void {
  const { owner, name, rest, query, remoteUser } = target;
  const env = gitEnv({
    GIT_PROJECT_ROOT: store.forgeDir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${owner}/${name}.git${rest}`,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: query,
    REMOTE_USER: remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
  });
  const header = (name: string) => req.headers[name] as string | undefined;
  if (header('content-type')) env.CONTENT_TYPE = header('content-type');
  if (header('content-length')) env.CONTENT_LENGTH = header('content-length');
  if (header('content-encoding')) env.HTTP_CONTENT_ENCODING = header('content-encoding');
  if (header('git-protocol')) env.GIT_PROTOCOL = header('git-protocol');

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  child.stderr.on('data', () => undefined); // drained; http-backend reports errors in its response too

  let head = Buffer.alloc(0);
  let headerDone = false;
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    let end = text.indexOf('\r\n\r\n');
    let sepLength = 4;
    if (end < 0) {
      end = text.indexOf('\n\n');
      sepLength = 2;
    }
    if (end < 0) return;
    headerDone = true;
    child.stdout.off('data', onHead);
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    const body = head.subarray(end + sepLength);
    if (body.length > 0) res.write(body);
    child.stdout.pipe(res); // the rest streams with backpressure
  };
  child.stdout.on('data', onHead);
  child.on('error', () => {
    if (!res.headersSent) plain(res, 500, 'git http-backend failed to start');
    else res.destroy();
  });
  child.on('close', () => {
    if (!headerDone && !res.headersSent) plain(res, 500, 'git http-backend gave no response');
  });
  // The client went away mid-response: stop the backend rather than let it run on.
  res.on('close', () => {
    if (!res.writableFinished && child.exitCode === null) child.kill('SIGTERM');
  });
}
