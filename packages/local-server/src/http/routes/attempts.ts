import {
  answerRequestSchema,
  completeRequestSchema,
  eventBatchSchema,
  interactionRequestSchema,
  leaseRenewRequestSchema,
} from '@coord/runner-protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import { completeAttempt, reattachAttempt, renewLease } from '../../db/attempts.js';
import { appendEvents, listEvents } from '../../db/events.js';
import { answerInteraction, getInteraction, putInteraction } from '../../db/interactions.js';
import type { AppEnv, Deps } from '../context.js';
import { idParam, parseValue, readBody, runnerIdHeader } from '../validate.js';

const eventQuerySchema = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** What the runner does with an attempt it holds: lease, events, interactions, completion. */
export function attemptRoutes({ store }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/attempts/:attemptId/lease', async (c) => {
    const attemptId = idParam(c, 'attemptId');
    const runnerId = runnerIdHeader(c);
    const req = await readBody(c, leaseRenewRequestSchema);
    return c.json(renewLease(store, c.get('account').id, runnerId, attemptId, req.state));
  });

  app.post('/attempts/:attemptId/reattach', (c) => {
    const attemptId = idParam(c, 'attemptId');
    const runnerId = runnerIdHeader(c);
    return c.json(reattachAttempt(store, c.get('account').id, runnerId, attemptId));
  });

  app.post('/attempts/:attemptId/events', async (c) => {
    const attemptId = idParam(c, 'attemptId');
    const runnerId = runnerIdHeader(c);
    const req = await readBody(c, eventBatchSchema);
    return c.json({ ack: appendEvents(store, c.get('account').id, runnerId, attemptId, req.events) });
  });

  app.get('/attempts/:attemptId/events', (c) => {
    const attemptId = idParam(c, 'attemptId');
    const q = parseValue(eventQuerySchema, c.req.query(), 'query');
    return c.json(listEvents(store, c.get('account').id, attemptId, q.after, q.limit));
  });

  app.put('/attempts/:attemptId/interactions/:interactionId', async (c) => {
    const attemptId = idParam(c, 'attemptId');
    const interactionId = idParam(c, 'interactionId');
    const runnerId = runnerIdHeader(c);
    const req = await readBody(c, interactionRequestSchema);
    const view = putInteraction(store, c.get('account').id, runnerId, attemptId, interactionId, req);
    return c.json({ interaction: view });
  });

  app.get('/attempts/:attemptId/interactions/:interactionId', (c) => {
    const view = getInteraction(
      store,
      c.get('account').id,
      idParam(c, 'attemptId'),
      idParam(c, 'interactionId'),
    );
    return c.json({ interaction: view });
  });

  app.post('/interactions/:interactionId/answer', async (c) => {
    const interactionId = idParam(c, 'interactionId');
    const req = await readBody(c, answerRequestSchema);
    const interaction = answerInteraction(store, c.get('account').id, interactionId, req);
    return c.json({ interaction });
  });

  app.post('/attempts/:attemptId/complete', async (c) => {
    const attemptId = idParam(c, 'attemptId');
    const runnerId = runnerIdHeader(c);
    const { events, ...completion } = await readBody(c, completeRequestSchema);
    const accountId = c.get('account').id;
    // The attempt's last events first, stored as their own upload would store them: the
    // completion then finds every event it names (and a report sent again finds them stored).
    if (events) appendEvents(store, accountId, runnerId, attemptId, events);
    return c.json(completeAttempt(store, accountId, runnerId, attemptId, completion));
  });

  return app;
}
