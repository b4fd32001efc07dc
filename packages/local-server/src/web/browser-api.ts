import {
  jobStatusSchema,
  type ArtifactView,
  type InteractionView,
  type JobView,
} from '@coord/runner-protocol';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { onlineWindowMs } from '../claims/waiting-reason.js';
import { workspacesOf } from '../db/accounts.js';
import { listArtifacts } from '../db/artifacts.js';
import { findEvent, listEvents } from '../db/events.js';
import { currentInteractions } from '../db/interactions.js';
import { listJobs, visibleJob } from '../db/jobs.js';
import { listRunners } from '../db/runners.js';
import type { Store } from '../db/store.js';
import { toJobView } from '../db/views.js';
import { ApiError } from '../errors.js';
import { diffStat, findPull, type DiffStat } from '../forge/pulls.js';
import { findRepo, repoJson } from '../forge/repos.js';
import type { AppEnv, Deps } from '../http/context.js';
import { artifactRoutes } from '../http/routes/artifacts.js';
import { attemptRoutes } from '../http/routes/attempts.js';
import { jobRoutes } from '../http/routes/jobs.js';
import { idParam, parseValue } from '../http/validate.js';
import { CSRF_HEADER, csrfToken, csrfValid, requireOwnOrigin } from './csrf.js';
import { deviceApi } from './device-api.js';
import { pullApi } from './pull-api.js';
import { SESSION_COOKIE, sessionAccount } from './session.js';
import { signOut } from './sign-in.js';

/** Everything the job page shows, in one answer (and pushed again whenever it changes). */
export interface JobDetail {
  job: JobView;
  interactions: InteractionView[];
  artifacts: Record<string, ArtifactView[]>;
  /** The latest pull request's diff stat, when it is on this server's forge. */
  diffStat: (DiffStat & { number: number }) | null;
}

/** Diff stats by pull request and job version: a stream asks every tick, git runs on changes only. */
type StatCache = Map<string, JobDetail['diffStat']>;

async function jobDetail(
  store: Store,
  accountId: string,
  jobId: string,
  cache: StatCache = new Map(),
): Promise<JobDetail> {
  const job = toJobView(store, visibleJob(store, accountId, jobId), accountId);
  const artifacts: Record<string, ArtifactView[]> = {};
  for (const a of job.attempts)
    if (a.outputs?.length) artifacts[a.id] = listArtifacts(store, accountId, a.id);
  const pr = [...job.attempts].reverse().find((a) => a.pullRequest)?.pullRequest;
  let stat: JobDetail['diffStat'] = null;
  if (pr && job.spec.context.type === 'repository') {
    const { owner, name } = job.spec.context.repository;
    const key = `${owner}/${name}#${pr.number}@${job.updatedAt}`;
    if (cache.has(key)) stat = cache.get(key)!;
    else {
      const repo = findRepo(store, owner, name);
      const pull = repo ? findPull(store, repo, pr.number) : undefined;
      if (repo && pull)
        stat = { number: pr.number, ...(await diffStat(store, repo, pull.base_ref, pull.head_ref)) };
      cache.clear();
      cache.set(key, stat);
    }
  }
  return { job, interactions: currentInteractions(store, jobId), artifacts, diffStat: stat };
}

const findQuerySchema = z.object({
  q: z.string().min(1).max(500).optional(),
  tools: z.literal('1').optional(),
  from: z.coerce.number().int().nonnegative().default(0),
  dir: z.enum(['1', '-1']).default('1'),
});
const streamQuerySchema = z.object({
  attempt: z.string().max(128).optional(),
  after: z.coerce.number().int().nonnegative().default(0),
});
const listQuerySchema = z.object({ status: jobStatusSchema.optional() });

/** How often a job stream looks for news: new events, a changed status, an answer. */
const STREAM_TICK_MS = 300;

/**
 * The JSON API of the web app, under `/api`: the same routes and domain functions as `/v1`
 * (jobs, events, interactions, artifacts) signed in by the session cookie instead of a token, and
 * a few views only a page needs (a job's detail, its live stream, runners, repositories, a pull
 * request, a runner's device sign-in). Anything but GET needs our Origin and the CSRF token in a
 * header; runner-only routes are refused. Signing in is signInRoutes, before this.
 */
export function browserApi(deps: Deps): Hono<AppEnv> {
  const { store } = deps;
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const sessionId = getCookie(c, SESSION_COOKIE);
    const account = sessionAccount(store, sessionId);
    if (!account || !sessionId) throw new ApiError(401, 'auth.missing_token', 'Sign in first.');
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      requireOwnOrigin(deps, c);
      if (!csrfValid(sessionId, c.req.header(CSRF_HEADER))) {
        throw new ApiError(403, 'auth.forbidden', 'This page has expired: reload it and try again.');
      }
      // The runner's side of the protocol (leases, event uploads, completions) is for runners.
      if (method !== 'POST' || /\/(lease|events|complete|me\/sign-out)$/.test(c.req.path)) {
        throw new ApiError(404, 'request.not_found', `No route ${method} ${c.req.path}`);
      }
    }
    c.set('account', account);
    await next();
    // Outputs are downloaded, never shown in the page's origin.
    if (/\/artifacts\/.+/.test(c.req.path)) c.header('content-disposition', 'attachment');
  });

  app.get('/session', (c) => {
    const account = c.get('account');
    return c.json({
      account,
      workspaces: workspacesOf(store, account.id),
      csrf: csrfToken(getCookie(c, SESSION_COOKIE)!),
    });
  });

  app.post('/sign-out', (c) => signOut(deps, c));

  app.get('/board', (c) => {
    const { status } = parseValue(listQuerySchema, c.req.query(), 'query');
    const jobs = listJobs(store, c.get('account').id, status ? { status } : {});
    return c.json({ jobs: jobs.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)) });
  });

  app.get('/jobs/:jobId/detail', async (c) =>
    c.json(await jobDetail(store, c.get('account').id, idParam(c, 'jobId'))),
  );

  app.get('/attempts/:attemptId/find', (c) => {
    const attemptId = idParam(c, 'attemptId');
    const q = parseValue(findQuerySchema, c.req.query(), 'query');
    if (!q.q && !q.tools) throw new ApiError(400, 'request.invalid', 'Say what to find: q=<text> or tools=1');
    const query = q.tools ? ({ toolCalls: true } as const) : { text: q.q! };
    const seq = findEvent(store, c.get('account').id, attemptId, query, q.from + 1, q.dir === '1' ? 1 : -1);
    return c.json({ index: seq === null ? null : seq - 1 });
  });

  // The job page's live feed: `job` (the detail) whenever it changes, `events` of one attempt.
  app.get('/jobs/:jobId/stream', async (c) => {
    const accountId = c.get('account').id;
    const jobId = idParam(c, 'jobId');
    const q = parseValue(streamQuerySchema, c.req.query(), 'query');
    await jobDetail(store, accountId, jobId); // 404 before the stream starts
    return streamSSE(c, async (stream) => {
      let last = '';
      const cache: StatCache = new Map();
      let after = q.after;
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      // The loop checks the close itself: a listener per stream was never removed (a leak).
      while (open && !store.closing.aborted) {
        const detail = JSON.stringify(await jobDetail(store, accountId, jobId, cache));
        if (detail !== last) {
          last = detail;
          await stream.writeSSE({ event: 'job', data: detail });
        }
        if (q.attempt) {
          for (;;) {
            const page = listEvents(store, accountId, q.attempt, after, 500);
            if (page.events.length === 0) break;
            after = page.events.at(-1)!.seq;
            await stream.writeSSE({ event: 'events', data: JSON.stringify(page.events) });
            if (page.events.length < 500) break;
          }
        }
        await stream.sleep(STREAM_TICK_MS);
      }
    });
  });

  app.get('/runners', (c) =>
    c.json({ runners: listRunners(store, c.get('account').id, onlineWindowMs(store)) }),
  );

  app.get('/repositories', (c) => {
    const rows = store.sql('SELECT * FROM repos ORDER BY owner, name').all() as Parameters<
      typeof repoJson
    >[1][];
    return c.json({
      repositories: rows.map((r) => {
        const json = repoJson(store, r);
        return { owner: r.owner, name: r.name, defaultBranch: r.default_branch, cloneUrl: json['clone_url'] };
      }),
    });
  });

  app.route('/', deviceApi(deps));
  app.route('/', pullApi(deps));

  // The same routes the token API serves, with the same validation and domain functions.
  app.route('/', jobRoutes(deps));
  app.route('/', attemptRoutes(deps));
  app.route('/', artifactRoutes(deps));

  app.notFound((c) =>
    c.json(new ApiError(404, 'request.not_found', `No route ${c.req.method} ${c.req.path}`).toBody(), 404),
  );
  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.toBody(), error.status);
    console.error('coord-local-server: web api error', error);
    return c.json(new ApiError(500, 'server.internal', 'Internal server error').toBody(), 500);
  });
  return app;
}
