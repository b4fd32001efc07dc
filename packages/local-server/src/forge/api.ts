import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { z } from 'zod';
import type { Store } from '../db/store.js';
import { ApiError } from '../errors.js';
import { BODY_LIMITS, bodySource, readJson } from '../http/body.js';
import { bearerToken } from '../http/auth.js';
import { forgePrincipal, mayAccess, type ForgePrincipal } from './auth.js';
import { findPulls, findPull, insertPull, pullJson, updatePull } from './pulls.js';
import {
  BRANCH_NAME,
  REPO_NAME,
  REPO_NAME_RULE,
  branchSha,
  createRepo,
  isBeingCreated,
  findRepo,
  repoJson,
  type RepoRow,
} from './repos.js';

type ForgeEnv = { Bindings: Partial<HttpBindings>; Variables: { principal: ForgePrincipal } };
type Status = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 421 | 422 | 500;
const DOCS = 'https://docs.github.com/rest';

/** An error in GitHub's shape: `{message, errors?, documentation_url}`. */
class ForgeError extends Error {
  constructor(
    readonly status: Status,
    message: string,
    readonly errors?: Record<string, unknown>[],
  ) {
    super(message);
  }
}

const validationFailed = (errors: Record<string, unknown>[]) =>
  new ForgeError(422, 'Validation Failed', errors);

async function jsonBody<S extends z.ZodType>(
  c: Context<ForgeEnv>,
  schema: S,
  resource: string,
): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = (await readJson(bodySource(c), BODY_LIMITS.forge)) ?? {};
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw new ForgeError(
      error.status as Status,
      error.status === 400 ? 'Problems parsing JSON' : error.message,
    );
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw validationFailed(
      result.error.issues.map((i) => ({
        resource,
        field: i.path.join('.'),
        code: 'invalid',
        message: i.message,
      })),
    );
  }
  return result.data;
}

const createRepoSchema = z.object({
  name: z.string().regex(REPO_NAME, `name ${REPO_NAME_RULE}`),
  description: z.string().max(1000).nullish(),
  auto_init: z.boolean().optional(),
  default_branch: z.string().regex(BRANCH_NAME).optional(),
});
const createPullSchema = z.object({
  title: z.string().min(1).max(256),
  head: z.string().min(1).max(300),
  base: z.string().min(1).max(300),
  body: z.string().max(65_536).nullish(),
  draft: z.boolean().optional(),
});
const updatePullSchema = z.object({
  title: z.string().min(1).max(256).optional(),
  body: z.string().max(65_536).nullish(),
  state: z.enum(['open', 'closed']).optional(),
  base: z.string().regex(BRANCH_NAME).optional(),
});
const listPullsSchema = z.object({
  head: z.string().max(300).optional(),
  base: z.string().max(300).optional(),
  state: z.enum(['open', 'closed', 'all']).default('open'),
});

/** `owner:branch` or `branch` -> branch (the owner must be the repository's, as on GitHub for non-forks). */
function headBranch(repo: RepoRow, head: string): string | null {
  const colon = head.indexOf(':');
  const branch = colon >= 0 ? head.slice(colon + 1) : head;
  if (colon >= 0 && head.slice(0, colon) !== repo.owner) return null;
  return BRANCH_NAME.test(branch) ? branch : null;
}

/** The GitHub REST subset the runner's octokit code uses: repositories and pull requests. */
export function forgeApiRoutes(store: Store): Hono<ForgeEnv> {
  const app = new Hono<ForgeEnv>();

  app.use('*', async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new ForgeError(401, 'Requires authentication');
    const principal = forgePrincipal(store, bearerToken(header));
    if (!principal) throw new ForgeError(401, 'Bad credentials');
    c.set('principal', principal);
    await next();
  });

  const repoOf = (c: Context<ForgeEnv>): RepoRow => {
    const owner = c.req.param('owner') ?? '';
    const name = c.req.param('repo') ?? '';
    const repo = findRepo(store, owner, name);
    if (!repo || !mayAccess(c.get('principal'), owner, name)) throw new ForgeError(404, 'Not Found');
    return repo;
  };

  app.get('/user', (c) => {
    const p = c.get('principal');
    return c.json({ login: p.name, id: 1, type: 'User' });
  });

  app.post('/user/repos', async (c) => {
    const principal = c.get('principal');
    if (principal.kind !== 'account') throw new ForgeError(403, 'Resource not accessible by integration');
    const req = await jsonBody(c, createRepoSchema, 'Repository');
    if (isBeingCreated(store, principal.name, req.name) || findRepo(store, principal.name, req.name)) {
      throw validationFailed([
        {
          resource: 'Repository',
          code: 'custom',
          field: 'name',
          message: 'name already exists on this account',
        },
      ]);
    }
    const repo = await createRepo(store, principal.accountId, principal.name, req.name, {
      autoInit: req.auto_init ?? false,
      defaultBranch: req.default_branch ?? 'main',
      description: req.description ?? undefined,
    });
    return c.json(repoJson(store, repo), 201);
  });

  app.get('/repos/:owner/:repo', (c) => c.json(repoJson(store, repoOf(c))));

  app.post('/repos/:owner/:repo/pulls', async (c) => {
    const repo = repoOf(c);
    const req = await jsonBody(c, createPullSchema, 'PullRequest');
    const head = headBranch(repo, req.head);
    const base = BRANCH_NAME.test(req.base) ? req.base : null;
    if (!head || !(await branchSha(store, repo, head))) {
      throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    }
    if (!base || !(await branchSha(store, repo, base))) {
      throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    }
    if (findPulls(store, repo, { head, state: 'open' }).length > 0) {
      throw validationFailed([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${repo.owner}:${head}.`,
        },
      ]);
    }
    const pull = insertPull(store, repo, {
      title: req.title,
      body: req.body ?? null,
      head,
      base,
      createdBy: c.get('principal').name,
    });
    return c.json(await pullJson(store, repo, pull, true), 201);
  });

  app.get('/repos/:owner/:repo/pulls', async (c) => {
    const repo = repoOf(c);
    const q = listPullsSchema.safeParse(c.req.query());
    if (!q.success) throw validationFailed([{ resource: 'PullRequest', code: 'invalid', field: 'state' }]);
    const head = q.data.head === undefined ? undefined : headBranch(repo, q.data.head);
    if (head === null) return c.json([]);
    const pulls = findPulls(store, repo, { head, base: q.data.base, state: q.data.state });
    return c.json(await Promise.all(pulls.map((p) => pullJson(store, repo, p, false))));
  });

  const pullOf = (c: Context<ForgeEnv>, repo: RepoRow) => {
    const number = Number(c.req.param('number'));
    const pull = Number.isInteger(number) ? findPull(store, repo, number) : undefined;
    if (!pull) throw new ForgeError(404, 'Not Found');
    return pull;
  };

  app.get('/repos/:owner/:repo/pulls/:number', async (c) => {
    const repo = repoOf(c);
    return c.json(await pullJson(store, repo, pullOf(c, repo), true));
  });

  app.patch('/repos/:owner/:repo/pulls/:number', async (c) => {
    const repo = repoOf(c);
    const pull = pullOf(c, repo);
    const req = await jsonBody(c, updatePullSchema, 'PullRequest');
    if (req.state === 'open' && pull.state === 'closed') {
      const others = findPulls(store, repo, { head: pull.head_ref, state: 'open' });
      if (others.length > 0) {
        throw validationFailed([
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${repo.owner}:${pull.head_ref}.`,
          },
        ]);
      }
    }
    if (req.base !== undefined && !(await branchSha(store, repo, req.base))) {
      throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    }
    updatePull(store, pull, { title: req.title, body: req.body, state: req.state, base: req.base });
    return c.json(await pullJson(store, repo, findPull(store, repo, pull.number)!, true));
  });

  app.all('*', () => {
    throw new ForgeError(404, 'Not Found');
  });

  app.onError((error, c) => {
    if (error instanceof ForgeError) {
      // No Basic challenge: a browser would prompt, cache the credentials and send them anywhere.
      const headers: Record<string, string> =
        error.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="coord"' } : {};
      return c.json(
        {
          message: error.message,
          ...(error.errors ? { errors: error.errors } : {}),
          documentation_url: DOCS,
        },
        error.status,
        headers,
      );
    }
    console.error('coord-local-server: forge error', error);
    return c.json({ message: 'Server Error', documentation_url: DOCS }, 500);
  });

  return app;
}
