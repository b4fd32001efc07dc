import { z } from 'zod';
import { timestampSchema } from './common.js';

/** Upper bounds that keep one upload request reasonable. */
export const MAX_EVENTS_PER_BATCH = 500;
export const MAX_EVENT_BYTES = 256 * 1024;

/** One thing that happened in an attempt. `seq` starts at 1 and has no gaps. */
export const attemptEventSchema = z.object({
  seq: z.number().int().positive(),
  at: timestampSchema,
  /** Dotted name, e.g. `job.state`, `job.agent`, `interaction.requested`. */
  type: z.string().min(1).max(100),
  data: z.record(z.string(), z.unknown()),
});
export type AttemptEvent = z.infer<typeof attemptEventSchema>;

export const eventBatchSchema = z.object({
  events: z.array(attemptEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
});
export type EventBatch = z.infer<typeof eventBatchSchema>;

/** The highest seq the server holds with no gap below it: upload resumes after it. */
export const eventAckSchema = z.object({ ack: z.number().int().nonnegative() });
export type EventAck = z.infer<typeof eventAckSchema>;

export const eventPageSchema = z.object({
  events: z.array(attemptEventSchema),
  ack: z.number().int().nonnegative(),
});
export type EventPage = z.infer<typeof eventPageSchema>;
