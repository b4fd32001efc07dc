import { z } from 'zod';
import { idSchema } from './common.js';

/**
 * The push hint stream (`GET /v1/runners/:id/hints`, server-sent events named `hint`): the server
 * tells a runner that something waits for one of its attempts (a cancel, a stop, an answer), and
 * the runner renews that attempt's lease at once to fetch it. Hints carry no payload of their own:
 * the lease renewal stays the one way controls are delivered, and polling it remains the fallback
 * when the stream is down.
 */
export const HINT_EVENT = 'hint';

export const runnerHintSchema = z.object({
  type: z.literal('attempt.control'),
  attemptId: idSchema,
});
export type RunnerHint = z.infer<typeof runnerHintSchema>;
