import { z } from 'zod';
import { usageSchema } from './common.js';
import { eventBatchSchema } from './events.js';
import {
  failureSchema,
  jobStatusSchema,
  outcomeSchema,
  pullRequestRefSchema,
  relativePathSchema,
} from './job.js';

export const completeRequestSchema = z
  .object({
    outcome: outcomeSchema,
    summary: z.string().max(20_000).default(''),
    pullRequest: pullRequestRefSchema.nullable().default(null),
    /** Local jobs: the output files uploaded as artifacts. */
    outputs: z.array(relativePathSchema).max(1000).nullable().default(null),
    usage: usageSchema.nullable().default(null),
    /** The agent session, so a later attempt can resume it. */
    sessionId: z.string().max(200).nullable().default(null),
    /** Events the runner wrote for this attempt; the server checks it holds them all. */
    lastSeq: z.number().int().nonnegative(),
    error: failureSchema.nullable().default(null),
    /**
     * The attempt's last events, when they fit one batch: the server stores them first, as an
     * upload would, which saves a short job a request. Not part of the report itself: a report
     * sent again is the same report whatever events it carries. A server that ignores the field
     * answers `events.gap`, and the runner uploads them the usual way.
     */
    events: eventBatchSchema.shape.events.optional(),
  })
  .refine((c) => c.outcome !== 'failed' || c.error !== null, {
    message: 'a failed outcome needs an error',
    path: ['error'],
  });
export type CompleteRequest = z.input<typeof completeRequestSchema>;

export const completeResponseSchema = z.object({
  job: z.object({ id: z.string(), status: jobStatusSchema }),
});
export type CompleteResponse = z.infer<typeof completeResponseSchema>;
