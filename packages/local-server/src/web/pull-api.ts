import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { diffStat, findPull, type DiffStat } from '../forge/pulls.js';
import { findRepo } from '../forge/repos.js';
import type { AppEnv, Deps } from '../http/context.js';
import { parseValue } from '../http/validate.js';

/** A pull request on this server's forge, as its page shows it. */
export interface PullDetail {
  owner: string;
  repo: string;
  number: number;
  title: string;
  /** Shown as text, never as HTML: an agent wrote it. */
  body: string;
  state: 'open' | 'closed';
  head: string;
  base: string;
  createdAt: string;
  diffStat: DiffStat;
  /** The job whose attempt opened it, when the viewer can see it. */
  jobId: string | null;
}

const paramsSchema = z.object({
  owner: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
  repo: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
  number: z.coerce.number().int().positive(),
});

/** `GET /api/pulls/:owner/:repo/:number`: the forge's pull request page, for a signed-in person. */
export function pullApi({ store }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/pulls/:owner/:repo/:number', async (c) => {
    const { owner, repo: name, number } = parseValue(paramsSchema, c.req.param(), 'path');
    const repo = findRepo(store, owner, name);
    const pull = repo ? findPull(store, repo, number) : undefined;
    if (!repo || !pull)
      throw new ApiError(404, 'request.not_found', `No pull request ${owner}/${name}#${number}`);
    const job = store.db
      .prepare(
        `SELECT a.job_id FROM attempts a JOIN jobs j ON j.id = a.job_id
         WHERE j.repo_owner = ? AND j.repo_name = ? AND j.submitted_by = ?
           AND json_extract(a.pull_request, '$.number') = ?
         ORDER BY a.number DESC LIMIT 1`,
      )
      .get(owner, name, c.get('account').id, number) as { job_id: string } | undefined;
    const detail: PullDetail = {
      owner,
      repo: name,
      number,
      title: pull.title,
      body: pull.body ?? '',
      state: pull.state,
      head: pull.head_ref,
      base: pull.base_ref,
      createdAt: new Date(pull.created_at).toISOString(),
      diffStat: await diffStat(store, repo, pull.base_ref, pull.head_ref),
      jobId: job?.job_id ?? null,
    };
    return c.json({ pull: detail });
  });
  return app;
}
