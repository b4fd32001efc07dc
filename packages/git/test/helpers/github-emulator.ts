import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
  /** When it arrived (ms since the epoch), to check a wait the emulator asked for was kept. */
  at: number;
}

export interface FakePull {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  draft?: boolean;
}

export interface EmulatorOptions {
  /** Where the REST API lives: `/api` (the local forge's shape), `/api/v3` (GitHub Enterprise) or `` (api.github.com). */
  prefix?: string;
  /** The token every request must carry (`Authorization: token …`, as octokit sends it); 401 otherwise. */
  token?: string;
}

export interface GitHubEmulator {
  /** The API base URL to give octokit. */
  url: string;
  requests: RecordedRequest[];
  pulls: FakePull[];
  /** The next `count` requests that match `method` answer `status` with GitHub's error body for it (and `headers`). */
  failNext(
    method: string,
    status: number,
    count?: number,
    headers?: Record<string, string>,
    message?: string,
  ): void;
  /** The next request matching `method` hits GitHub's secondary rate limit: 403, its message, `Retry-After`. */
  secondaryRateLimitNext(method: string, retryAfterSeconds: number): void;
  /** The next request matching `method` finds the primary rate limit used up until `resetInSeconds`. */
  primaryRateLimitNext(method: string, resetInSeconds: number): void;
  /** Forgets the failures still pending: the forge is healthy again. */
  heal(): void;
  /** Makes `GET .../pulls` ignore the `head` filter, as a sloppy forge might. */
  ignoreHeadFilter: boolean;
  /** The next `count` list requests answer an empty list (a read that raced a concurrent create). */
  staleLists: number;
  close(): Promise<void>;
}

const docs = 'https://docs.github.com/rest';

/** GitHub's bodies for the answers the runner must explain. */
function errorBody(status: number, message?: string): Record<string, unknown> {
  switch (status) {
    case 401:
      return { message: message ?? 'Bad credentials', documentation_url: docs, status: '401' };
    case 403:
      return {
        message: message ?? 'Resource not accessible by integration',
        documentation_url: docs,
        status: '403',
      };
    case 404:
      return { message: message ?? 'Not Found', documentation_url: docs, status: '404' };
    case 422:
      return {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: message ?? 'No commits between main and topic',
          },
        ],
        documentation_url: `${docs}/pulls/pulls#create-a-pull-request`,
        status: '422',
      };
    default:
      return {
        message: message ?? `Injected failure ${status}`,
        documentation_url: docs,
        status: String(status),
      };
  }
}

/**
 * A GitHub REST emulator on 127.0.0.1 for the pulls API the runner uses, in GitHub's wire format:
 * list with `head=owner:branch&state=open`, create (422 when an open PR for the head exists, draft
 * honoured), update; its rate-limit headers on every answer, and its 401/403/404/422 and
 * rate-limit error bodies on request. The real octokit client talks to it.
 */
export async function startGitHubEmulator(options: EmulatorOptions = {}): Promise<GitHubEmulator> {
  const prefix = options.prefix ?? '/api';
  const requests: RecordedRequest[] = [];
  const pulls: FakePull[] = [];
  type Failure = {
    method: string;
    status: number;
    count: number;
    headers: Record<string, string>;
    body: unknown;
  };
  const failures: Failure[] = [];
  let origin = '';
  let remaining = 5000;

  const toJson = (owner: string, repo: string, pull: FakePull) => ({
    url: `${origin}${prefix}/repos/${owner}/${repo}/pulls/${pull.number}`,
    id: 1000 + pull.number,
    node_id: `PR_${pull.number}`,
    number: pull.number,
    html_url: `${origin}/${owner}/${repo}/pull/${pull.number}`,
    state: pull.state,
    draft: pull.draft ?? false,
    title: pull.title,
    body: pull.body,
    head: { label: `${owner}:${pull.head}`, ref: pull.head, sha: '0'.repeat(40) },
    base: { label: `${owner}:${pull.base}`, ref: pull.base, sha: '0'.repeat(40) },
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-request-id': `EMU:${requests.length}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...headers,
    });
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
      at: Date.now(),
    });
    remaining = Math.max(0, remaining - 1);
    if (options.token && req.headers.authorization !== `token ${options.token}`) {
      return send(res, 401, errorBody(401));
    }
    const failure = failures.find((f) => f.method === method && f.count > 0);
    if (failure) {
      failure.count -= 1;
      return send(res, failure.status, failure.body, failure.headers);
    }
    const pattern = new RegExp(
      `^${prefix.replace(/\//g, '\\/')}\\/repos\\/([^/]+)\\/([^/]+)\\/pulls(?:\\/(\\d+))?$`,
    );
    const match = pattern.exec(url.pathname);
    if (!match) return send(res, 404, errorBody(404));
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
        return send(res, 422, errorBody(422, `A pull request already exists for ${owner}:${head}.`));
      }
      const pull: FakePull = {
        number: pulls.length + 1,
        title: String(body?.title ?? ''),
        body: typeof body?.body === 'string' ? body.body : null,
        head,
        base: String(body?.base ?? ''),
        state: 'open',
        draft: body?.draft === true,
      };
      pulls.push(pull);
      return send(res, 201, toJson(owner, repo, pull));
    }
    if (method === 'PATCH' && number) {
      const pull = pulls.find((p) => p.number === Number(number));
      if (!pull) return send(res, 404, errorBody(404));
      if (typeof body?.body === 'string') pull.body = body.body;
      if (typeof body?.title === 'string') pull.title = body.title;
      return send(res, 200, toJson(owner, repo, pull));
    }
    return send(res, 404, errorBody(404));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const api: GitHubEmulator = {
    url: `${origin}${prefix}`,
    requests,
    pulls,
    ignoreHeadFilter: false,
    staleLists: 0,
    failNext(method, status, count = 1, headers = {}, message) {
      failures.push({ method, status, count, headers, body: errorBody(status, message) });
    },
    secondaryRateLimitNext(method, retryAfterSeconds) {
      failures.push({
        method,
        status: 403,
        count: 1,
        headers: { 'retry-after': String(retryAfterSeconds) },
        body: {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID EMU.',
          documentation_url:
            'https://docs.github.com/free-pro-team@latest/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          status: '403',
        },
      });
    },
    primaryRateLimitNext(method, resetInSeconds) {
      failures.push({
        method,
        status: 403,
        count: 1,
        headers: {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + resetInSeconds),
        },
        body: {
          message: 'API rate limit exceeded for installation ID 1.',
          documentation_url: `${docs}/overview/rate-limits-for-the-rest-api`,
          status: '403',
        },
      });
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
