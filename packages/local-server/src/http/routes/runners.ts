import {
  claimRequestSchema,
  HINT_EVENT,
  registerRunnerRequestSchema,
  type RegisterRunnerResponse,
  runnerPresenceRequestSchema,
  type RunnerPresenceResponse,
  type RunnerHint,
} from '@coord/runner-protocol';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { claimWithWait } from '../../claims/long-poll.js';
import { workspacesOf } from '../../db/accounts.js';
import { releaseUnheldAttempts } from '../../db/attempts.js';
import { getRunner, endDrain, registerRunner, setRunnerPresence, touchRunner } from '../../db/runners.js';
import { BODY_LIMITS, bodySource, clientGone } from '../body.js';
import type { AppEnv, Deps } from '../context.js';
import { idParam, readBody, readOptionalBody } from '../validate.js';

export function runnerRoutes({ store, claims }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  /** How many of `ids` are attempts `runnerId` holds now (only those may lend a slot). */
  const activeAmong = (runnerId: string, ids: readonly string[]) =>
    (
      store
        .sql(
          "SELECT count(*) AS n FROM attempts WHERE runner_id = ? AND status = 'active' AND id IN (SELECT value FROM json_each(?))",
        )
        .get(runnerId, JSON.stringify(ids)) as { n: number }
    ).n;

  app.post('/runners/register', async (c) => {
    const req = await readBody(c, registerRunnerRequestSchema);
    const account = c.get('account');
    const runner = registerRunner(store, account.id, req);
    const { leaseRenewMs, leaseTtlMs, claimWaitMs } = store.timings;
    const body: RegisterRunnerResponse = {
      runner: { id: runner.id, name: runner.name, accountId: account.id },
      workspaces: workspacesOf(store, account.id),
      timings: { leaseRenewMs, leaseTtlMs, claimWaitMs },
      // Runners size their event batches below this, so an upload is never too large.
      limits: { maxRequestBytes: BODY_LIMITS.json },
    };
    return c.json(body);
  });

  app.post('/runners/:runnerId/claim', async (c) => {
    const runnerId = idParam(c, 'runnerId');
    const req = await readOptionalBody(c, claimRequestSchema);
    const registered = getRunner(store, runnerId, c.get('account').id);
    const runner = {
      ...registered,
      // A runner with an agent at its own limit asks for the others only.
      ...(req.agents
        ? { eligible_agents: JSON.stringify(onlyAgents(registered.eligible_agents, req.agents)) }
        : {}),
      // Its attempts waiting on a lock lent their slots: they are not counted against its capacity.
      ...(req.waitingAttemptIds?.length
        ? { capacity: registered.capacity + activeAmong(registered.id, req.waitingAttemptIds) }
        : {}),
    };
    const waitMs = Math.min(req.waitMs, store.timings.claimWaitMs);
    touchRunner(store, runner.id);
    // Written only when it changes: every write is a commit.
    if (registered.draining_at != null) endDrain(store, runner.id);
    const gone = clientGone(bodySource(c));
    const assignment = await claimWithWait(store, claims, runner, waitMs, gone, req.claimKey);
    // A claim the runner gave up (it is stopping, and may have signed off since) is no sign of life.
    if (!store.closing.aborted && !gone.aborted) touchRunner(store, runner.id);
    return c.json({ assignment });
  });

  app.post('/runners/:runnerId/presence', async (c) => {
    const runnerId = idParam(c, 'runnerId');
    const { presence, holding } = await readBody(c, runnerPresenceRequestSchema);
    getRunner(store, runnerId, c.get('account').id);
    setRunnerPresence(store, runnerId, presence);
    if (presence !== 'offline' || holding === undefined)
      return c.json({ presence } satisfies RunnerPresenceResponse);
    const released = releaseUnheldAttempts(store, runnerId, holding);
    return c.json({ presence, released } satisfies RunnerPresenceResponse);
  });

  // Push hints (server-sent events): "renew the lease of this attempt now, something waits for it".
  app.get('/runners/:runnerId/hints', (c) => {
    const runnerId = idParam(c, 'runnerId');
    getRunner(store, runnerId, c.get('account').id);
    const holder = store.sql("SELECT runner_id FROM attempts WHERE id = ? AND status = 'active'");
    return streamSSE(c, async (stream) => {
      const send = (hint: RunnerHint) =>
        void stream.writeSSE({ event: HINT_EVENT, data: JSON.stringify(hint) });
      const off = store.onControl((attemptId) => {
        const row = holder.get(attemptId) as { runner_id: string } | undefined;
        if (row?.runner_id === runnerId) send({ type: 'attempt.control', attemptId });
      });
      // A comment line now and then keeps proxies and idle timers from cutting a quiet stream.
      const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n'), 15_000);
      await stream.write(': connected\n\n');
      await new Promise<void>((resolve) => {
        if (store.closing.aborted) return resolve();
        // Removed when the runner goes away: one listener per stream ever opened was a leak.
        const onClose = () => resolve();
        store.closing.addEventListener('abort', onClose, { once: true });
        stream.onAbort(() => {
          store.closing.removeEventListener('abort', onClose);
          resolve();
        });
      });
      clearInterval(keepAlive);
      off();
    });
  });

  return app;
}

/** The registered eligible agents (a JSON array) that are also in `wanted`. */
function onlyAgents(eligible: string, wanted: readonly string[]): string[] {
  return (JSON.parse(eligible) as string[]).filter((agent) => wanted.includes(agent));
}
