import { z } from 'zod';
import { idSchema, timestampSchema } from './common.js';
import { interactionAnswerSchema } from './interactions.js';

export const leaseRenewRequestSchema = z.object({
  /** The runner-side lifecycle state, for the web app. */
  state: z.string().min(1).max(64),
});
export type LeaseRenewRequest = z.infer<typeof leaseRenewRequestSchema>;

/** Requests from people, delivered with the next renewal. */
export const controlRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('cancel'), reason: z.string().max(2000).optional() }),
  z.object({ type: z.literal('stop'), graceMs: z.number().int().nonnegative().optional() }),
  z.object({
    type: z.literal('interaction.answered'),
    interactionId: idSchema,
    answer: interactionAnswerSchema,
  }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;

export const leaseRenewResponseSchema = z.object({
  leaseExpiresAt: timestampSchema,
  controls: z.array(controlRequestSchema),
});
export type LeaseRenewResponse = z.infer<typeof leaseRenewResponseSchema>;
