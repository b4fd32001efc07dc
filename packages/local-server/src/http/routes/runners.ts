import {
  claimRequestSchema,
  registerRunnerRequestSchema,
  type RegisterRunnerResponse,
} from '@coord/runner-protocol';
import { Hono } from 'hono';
import { claimWithWait } from '../../claims/long-poll.js';
import { workspacesOf } from '../../db/accounts.js';
import { getRunner, registerRunner } from '../../db/runners.js';
import type { AppEnv, Deps } from '../context.js';
import { idParam, readBody, readOptionalBody } from '../validate.js';

export function runnerRoutes({ store, claims }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/runners/register', async (c) => {
    const req = await readBody(c, registerRunnerRequestSchema);
    const account = c.get('account');
    const runner = registerRunner(store, account.id, req);
    const { leaseRenewMs, leaseTtlMs, claimWaitMs } = store.timings;
    const body: RegisterRunnerResponse = {
      runner: { id: runner.id, name: runner.name, accountId: account.id },
      workspaces: workspacesOf(store, account.id),
      timings: { leaseRenewMs, leaseTtlMs, claimWaitMs },
    };
    return c.json(body);
  });

  app.post('/runners/:runnerId/claim', async (c) => {
    const runnerId = idParam(c, 'runnerId');
    const req = await readOptionalBody(c, claimRequestSchema);
    const runner = getRunner(store, runnerId, c.get('account').id);
    const waitMs = Math.min(req.waitMs, store.timings.claimWaitMs);
    const assignment = await claimWithWait(store, claims, runner, waitMs, c.req.raw.signal);
    return c.json({ assignment });
  });

  return app;
}
