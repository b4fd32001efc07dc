import {
  jobStatusSchema,
  jobSubmissionSchema,
  readyJobsRequestSchema,
  requestChangesSchema,
  type MeResponse,
  type SignOutResponse,
  type WebSignInLink,
} from '@coord/runner-protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import { workspacesOf } from '../../db/accounts.js';
import { revokeDeviceToken } from '../../db/device-codes.js';
import {
  cancelJob,
  listJobs,
  readyJobs,
  requestChanges,
  stopJob,
  submitJob,
  visibleJob,
} from '../../db/jobs.js';
import { iso } from '../../util/ids.js';
import { toJobView } from '../../db/views.js';
import { createSignInLink, signInLinkUrl } from '../../web/sign-in-links.js';
import { bearerToken } from '../auth.js';
import type { AppEnv, Deps } from '../context.js';
import { requestOrigin } from '../origin.js';
import { idParam, parseValue, readBody, readOptionalBody } from '../validate.js';

const listQuerySchema = z.object({
  workspace: z.string().min(1).max(128).optional(),
  status: jobStatusSchema.optional(),
});
const cancelBodySchema = z.object({ reason: z.string().max(2000).optional() });
const stopBodySchema = z.object({ graceMs: z.number().int().nonnegative().max(3_600_000).optional() });

/** What submitters (people, the web page, tools) do: submit, look, make Ready, cancel, stop, request changes. */
export function jobRoutes(deps: Deps): Hono<AppEnv> {
  const { store } = deps;
  const app = new Hono<AppEnv>();

  app.get('/me', (c) => {
    const account = c.get('account');
    const body: MeResponse = { account, workspaces: workspacesOf(store, account.id) };
    return c.json(body);
  });

  // Signing a runner out: its device-minted token stops working here at once.
  app.post('/me/sign-out', (c) => {
    const token = bearerToken(c.req.header('authorization') ?? '');
    const body: SignOutResponse = { revoked: token ? revokeDeviceToken(store, token) : false };
    return c.json(body);
  });

  // A one-time link to the web page for this token's account: no one pastes the token there.
  app.post('/me/web-sign-in', (c) => {
    const { code, expiresAt } = createSignInLink(store, c.get('account').id);
    const body: WebSignInLink = {
      url: signInLinkUrl(requestOrigin(deps, c), code),
      expiresAt: iso(expiresAt),
    };
    return c.json(body);
  });

  app.post('/workspaces/:workspaceId/jobs', async (c) => {
    const workspaceId = idParam(c, 'workspaceId');
    const spec = await readBody(c, jobSubmissionSchema);
    return c.json({ job: submitJob(store, c.get('account').id, workspaceId, spec) }, 201);
  });

  app.get('/jobs', (c) => {
    const q = parseValue(listQuerySchema, c.req.query(), 'query');
    return c.json({ jobs: listJobs(store, c.get('account').id, q) });
  });

  app.get('/jobs/:jobId', (c) => {
    const row = visibleJob(store, c.get('account').id, idParam(c, 'jobId'));
    return c.json({ job: toJobView(store, row) });
  });

  app.post('/jobs/:jobId/ready', (c) => {
    const [job] = readyJobs(store, c.get('account').id, [idParam(c, 'jobId')]);
    return c.json({ job });
  });

  // Many at once, in one transaction: a planning session's worth of Backlog made Ready together.
  app.post('/jobs/ready', async (c) => {
    const { jobIds } = await readBody(c, readyJobsRequestSchema);
    return c.json({ jobs: readyJobs(store, c.get('account').id, [...new Set(jobIds)]) });
  });

  app.post('/jobs/:jobId/cancel', async (c) => {
    const jobId = idParam(c, 'jobId');
    const { reason } = await readOptionalBody(c, cancelBodySchema);
    return c.json({ job: cancelJob(store, c.get('account').id, jobId, reason) });
  });

  app.post('/jobs/:jobId/stop', async (c) => {
    const jobId = idParam(c, 'jobId');
    const { graceMs } = await readOptionalBody(c, stopBodySchema);
    return c.json({ job: stopJob(store, c.get('account').id, jobId, graceMs) });
  });

  app.post('/jobs/:jobId/request-changes', async (c) => {
    const jobId = idParam(c, 'jobId');
    const { feedback } = await readBody(c, requestChangesSchema);
    return c.json({ job: requestChanges(store, c.get('account').id, jobId, feedback) });
  });

  return app;
}
