import type { AttemptEvent, InteractionAnswer, JobSubmission, JobView } from '@coord/runner-protocol';
import type { RunnerSummary } from '../src/db/runners.js';
import type { JobDetail } from '../src/web/browser-api.js';
import type { DeviceRequest } from '../src/web/device-api.js';
import type { PullDetail } from '../src/web/pull-api.js';

export type { DeviceRequest, JobDetail, PullDetail, RunnerSummary };

export interface Session {
  account: { id: string; name: string };
  workspaces: { id: string; name: string }[];
}

export interface Repository {
  owner: string;
  name: string;
  defaultBranch: string;
  cloneUrl: string;
}

/** An answer of the API that was not a success, with the server's own words. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const csrf = () => document.querySelector<HTMLMetaElement>('meta[name="coord-csrf"]')?.content ?? '';

/** One call to the web app's JSON API; a signed-out answer goes back to the sign-in page. */
export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(method === 'POST' ? { 'x-coord-csrf': csrf() } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new RequestError(0, 'network', 'The server did not answer. Is `coord-runner local` still running?');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: an error page from a proxy, say
  }
  if (res.status === 401 && !path.startsWith('/sign-in')) {
    location.assign(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new RequestError(
      res.status,
      error?.code ?? 'http',
      error?.message ?? `The server answered ${res.status}.`,
    );
  }
  return json as T;
}

export const api = {
  session: () => call<Session>('GET', '/session'),
  board: () => call<{ jobs: JobView[] }>('GET', '/board'),
  detail: (jobId: string) => call<JobDetail>('GET', `/jobs/${encodeURIComponent(jobId)}/detail`),
  submit: (workspaceId: string, spec: JobSubmission) =>
    call<{ job: JobView }>('POST', `/workspaces/${encodeURIComponent(workspaceId)}/jobs`, spec),
  cancel: (jobId: string) => call<{ job: JobView }>('POST', `/jobs/${encodeURIComponent(jobId)}/cancel`, {}),
  stop: (jobId: string) => call<{ job: JobView }>('POST', `/jobs/${encodeURIComponent(jobId)}/stop`, {}),
  requestChanges: (jobId: string, feedback: string) =>
    call<{ job: JobView }>('POST', `/jobs/${encodeURIComponent(jobId)}/request-changes`, { feedback }),
  answer: (interactionId: string, answer: InteractionAnswer) =>
    call('POST', `/interactions/${encodeURIComponent(interactionId)}/answer`, { answer, by: 'web' }),
  events: (attemptId: string, after: number, limit: number) =>
    call<{ events: AttemptEvent[] }>(
      'GET',
      `/attempts/${encodeURIComponent(attemptId)}/events?after=${after}&limit=${limit}`,
    ),
  find: (attemptId: string, query: { text: string } | { toolCalls: true }, from: number, dir: 1 | -1) =>
    call<{ index: number | null }>(
      'GET',
      `/attempts/${encodeURIComponent(attemptId)}/find?${new URLSearchParams({
        ...('text' in query ? { q: query.text } : { tools: '1' }),
        from: String(from),
        dir: String(dir),
      })}`,
    ),
  /** With the server's API token (pasted) or a one-time link's code. */
  signIn: (credential: { token: string } | { code: string }, next: string) =>
    call<{ next: string }>('POST', '/sign-in', { ...credential, next }),
  signOut: () => call<{ signedOut: true }>('POST', '/sign-out', {}),
  ready: (jobId: string) => call<{ job: JobView }>('POST', `/jobs/${encodeURIComponent(jobId)}/ready`, {}),
  device: (code: string) =>
    call<{ device: DeviceRequest }>('GET', `/device?${new URLSearchParams({ code })}`),
  decideDevice: (code: string, decision: 'approve' | 'deny') =>
    call<{ approved: boolean }>('POST', '/device', { code, decision }),
  pull: (owner: string, repo: string, number: number) =>
    call<{ pull: PullDetail }>(
      'GET',
      `/pulls/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/${number}`,
    ),
  runners: () => call<{ runners: RunnerSummary[] }>('GET', '/runners'),
  repositories: () => call<{ repositories: Repository[] }>('GET', '/repositories'),
};

export const artifactHref = (attemptId: string, path: string) =>
  `/api/attempts/${encodeURIComponent(attemptId)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
