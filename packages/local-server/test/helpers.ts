import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSubmission, RegisterRunnerRequest } from '@coord/runner-protocol';
import { afterEach } from 'vitest';
import { startLocalServer, type LocalServer, type ServerTimings } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

export function tempDir(prefix = 'coord-ls-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Api {
  (
    method: string,
    path: string,
    body?: unknown,
    opts?: {
      token?: string | null;
      runnerId?: string;
      headers?: Record<string, string>;
      raw?: string | Uint8Array;
    },
  ): Promise<{
    status: number;
    body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
    headers: Headers;
  }>;
}

export function apiFor(server: LocalServer, defaultToken = server.token): Api {
  return async (method, path, body, opts = {}) => {
    const headers: Record<string, string> = { 'Coord-Protocol': '1', ...opts.headers };
    const token = opts.token === undefined ? defaultToken : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (opts.runnerId) headers['Coord-Runner-Id'] = opts.runnerId;
    let payload: string | Uint8Array | undefined = opts.raw;
    // Raw bodies are artifact uploads: bytes, as the core client sends them.
    if (payload !== undefined) headers['content-type'] ??= 'application/octet-stream';
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(server.url + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

export async function startServer(
  timings: Partial<ServerTimings> = {},
): Promise<{ server: LocalServer; api: Api; dir: string }> {
  const dir = tempDir();
  const server = await startLocalServer({ dataDir: dir, timings });
  cleanups.push(() => server.close());
  return { server, api: apiFor(server), dir };
}

export function runnerRequest(overrides: Partial<RegisterRunnerRequest> = {}): RegisterRunnerRequest {
  return {
    machineId: 'machine-0001',
    name: 'runner-a',
    platform: 'linux',
    arch: 'x64',
    version: '0.1.0',
    agents: [{ id: 'demo', state: 'detected', version: '1', enabled: true }],
    capacity: 1,
    ...overrides,
  };
}

export async function register(
  api: Api,
  overrides: Partial<RegisterRunnerRequest> = {},
  token?: string,
): Promise<string> {
  const res = await api('POST', '/v1/runners/register', runnerRequest(overrides), token ? { token } : {});
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.runner.id as string;
}

export function jobSubmission(overrides: Partial<JobSubmission> = {}): JobSubmission {
  return {
    title: 'A job',
    instructions: 'Do the thing',
    context: { type: 'local' },
    agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
    ...overrides,
  };
}

export async function submit(
  api: Api,
  overrides: Partial<JobSubmission> = {},
  opts: { token?: string; workspace?: string } = {},
): Promise<string> {
  const res = await api(
    'POST',
    `/v1/workspaces/${opts.workspace ?? 'local'}/jobs`,
    jobSubmission(overrides),
    opts.token ? { token: opts.token } : {},
  );
  if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.job.id as string;
}

/** Claims without waiting; returns the assignment or null. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export async function claimNow(api: Api, runnerId: string, token?: string): Promise<any> {
  const res = await api('POST', `/v1/runners/${runnerId}/claim`, { waitMs: 0 }, token ? { token } : {});
  if (res.status !== 200) throw new Error(`claim failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.assignment;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 4_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `name=value` of a cookie the response sets, or undefined. */
export function setCookie(res: Response, name: string): string | undefined {
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';', 1)[0];
}

/** The CSRF token the app shell carries in its `coord-csrf` meta tag. */
export function pageCsrf(html: string): string {
  const value = /<meta name="coord-csrf" content="([^"]*)">/.exec(html)?.[1];
  if (!value) throw new Error('no coord-csrf meta tag in the page');
  return value;
}

/** A browser signed in to the web app: its session cookie, and the CSRF token of its pages. */
export interface Browser {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  /**
   * A call of the web app's JSON API under /api, as its page makes it: the session cookie, the
   * CSRF header and our Origin, each of which `headers` may replace (an empty value drops it).
   */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** `call` answered as JSON. */
  json<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

/**
 * Signs in as the sign-in page does: its nonce cookie and CSRF token, then the token (or a
 * one-time link's code) as JSON.
 */
export async function signIn(
  server: { url: string; token: string },
  credential: string | { code: string } = server.token,
): Promise<Browser> {
  const page = await fetch(`${server.url}/sign-in`);
  const nonce = setCookie(page, 'coord_sign_in')!;
  const res = await fetch(`${server.url}/api/sign-in`, {
    method: 'POST',
    headers: {
      origin: server.url,
      cookie: nonce,
      'x-coord-csrf': pageCsrf(await page.text()),
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      ...(typeof credential === 'string' ? { token: credential } : credential),
      next: '/',
    }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = setCookie(res, 'coord_session')!;
  const get = (path: string) => fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  const csrf = pageCsrf(await (await get('/')).text());
  const call: Browser['call'] = (method, path, body, headers = {}) => {
    const all: Record<string, string> = {
      cookie,
      origin: server.url,
      'x-coord-csrf': csrf,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    };
    for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
    return fetch(`${server.url}/api${path}`, {
      method,
      redirect: 'manual',
      headers: all,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  };
  return {
    cookie,
    csrf,
    get,
    call,
    async json(method, path, body) {
      const r = await call(method, path, body);
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}
