import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
}

export interface FakePull {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
}

export interface FakePullsApi {
  url: string;
  requests: RecordedRequest[];
  pulls: FakePull[];
  /** The next `count` requests that match `method` answer `status` with a GitHub-style error (and `headers`). */
  failNext(method: string, status: number, count?: number, headers?: Record<string, string>): void;
  /** Forgets the failures still pending: the forge is healthy again. */
  heal(): void;
  /** Makes `GET .../pulls` ignore the `head` filter, as a sloppy forge might. */
  ignoreHeadFilter: boolean;
  /** The next `count` list requests answer an empty list (a read that raced a concurrent create). */
  staleLists: number;
  close(): Promise<void>;
}

/**
 * The subset of GitHub's REST pulls API the runner uses, with GitHub's wire format: list with
 * `head=owner:branch&state=open`, create (422 when an open PR for the head exists), update.
 */
export async function startFakePullsApi(): Promise<FakePullsApi> {
  const requests: RecordedRequest[] = [];
  const pulls: FakePull[] = [];
  const failures: { method: string; status: number; count: number; headers: Record<string, string> }[] = [];
  let baseUrl = '';

  const toJson = (owner: string, repo: string, pull: FakePull) => ({
    url: `${baseUrl}/repos/${owner}/${repo}/pulls/${pull.number}`,
    id: 1000 + pull.number,
    number: pull.number,
    html_url: `${baseUrl.replace(/\/api$/, '')}/${owner}/${repo}/pull/${pull.number}`,
    state: pull.state,
    title: pull.title,
    body: pull.body,
    head: { label: `${owner}:${pull.head}`, ref: pull.head, sha: '0'.repeat(40) },
    base: { label: `${owner}:${pull.base}`, ref: pull.base, sha: '0'.repeat(40) },
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    const method = req.method ?? 'GET';
    requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      body,
    });
    const failure = failures.find((f) => f.method === method && f.count > 0);
    if (failure) {
      failure.count -= 1;
      return send(
        res,
        failure.status,
        { message: `Injected failure ${failure.status}`, documentation_url: 'https://docs.github.com/rest' },
        failure.headers,
      );
    }
    const match = /^\/api\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?$/.exec(url.pathname);
    if (!match) return send(res, 404, { message: 'Not Found' });
    const [, owner = '', repo = '', number] = match;
    if (method === 'GET' && !number) {
      if (api.staleLists > 0) {
        api.staleLists -= 1;
        return send(res, 200, []);
      }
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const selected = pulls.filter(
        (p) =>
          (api.ignoreHeadFilter || !head || `${owner}:${p.head}` === head) &&
          (state === 'all' || p.state === state),
      );
      return send(
        res,
        200,
        selected.map((p) => toJson(owner, repo, p)),
      );
    }
    if (method === 'POST' && !number) {
      const head = String(body?.head ?? '');
      if (pulls.some((p) => p.head === head && p.state === 'open')) {
        return send(res, 422, {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${owner}:${head}.`,
            },
          ],
          documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
        });
      }
      const pull: FakePull = {
        number: pulls.length + 1,
        title: String(body?.title ?? ''),
        body: typeof body?.body === 'string' ? body.body : null,
        head,
        base: String(body?.base ?? ''),
        state: 'open',
      };
      pulls.push(pull);
      return send(res, 201, toJson(owner, repo, pull));
    }
    if (method === 'PATCH' && number) {
      const pull = pulls.find((p) => p.number === Number(number));
      if (!pull) return send(res, 404, { message: 'Not Found' });
      if (typeof body?.body === 'string') pull.body = body.body;
      if (typeof body?.title === 'string') pull.title = body.title;
      return send(res, 200, toJson(owner, repo, pull));
    }
    return send(res, 404, { message: 'Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/api`;
  const api: FakePullsApi = {
    url: baseUrl,
    requests,
    pulls,
    ignoreHeadFilter: false,
    staleLists: 0,
    failNext(method, status, count = 1, headers = {}) {
      failures.push({ method, status, count, headers });
    },
    heal() {
      failures.length = 0;
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return api;
}
