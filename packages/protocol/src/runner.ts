import { z } from 'zod';
import { agentIdSchema, agentStateSchema, idSchema, platformSchema } from './common.js';

export const detectedAgentSchema = z.object({
  id: agentIdSchema,
  state: agentStateSchema,
  version: z.string().max(100).nullable(),
  enabled: z.boolean(),
  /** For people: how to install a missing agent, or why it is unsupported here. */
  hint: z.string().max(500).optional(),
});
export type DetectedAgent = z.infer<typeof detectedAgentSchema>;

export const registerRunnerRequestSchema = z.object({
  /** Stable per machine and state dir; re-registering with it returns the same runner id. */
  machineId: z.string().min(8).max(128),
  name: z.string().min(1).max(100),
  platform: platformSchema,
  arch: z.string().min(1).max(32),
  version: z.string().min(1).max(64),
  agents: z.array(detectedAgentSchema).max(32),
  capacity: z.number().int().min(1).max(64),
  labels: z.array(z.string().min(1).max(64)).max(32).default([]),
});
export type RegisterRunnerRequest = z.input<typeof registerRunnerRequestSchema>;

export const timingsSchema = z.object({
  leaseRenewMs: z.number().int().positive(),
  leaseTtlMs: z.number().int().positive(),
  claimWaitMs: z.number().int().positive(),
});
export type Timings = z.infer<typeof timingsSchema>;

/** What the server takes in one request; optional, so servers that do not say still work. */
export const serverLimitsSchema = z.object({
  /** Largest JSON request body, in bytes: the runner keeps each event batch below it. */
  maxRequestBytes: z.number().int().positive(),
});
export type ServerLimits = z.infer<typeof serverLimitsSchema>;

export const registerRunnerResponseSchema = z.object({
  runner: z.object({ id: idSchema, name: z.string(), accountId: idSchema }),
  workspaces: z.array(z.object({ id: idSchema, name: z.string() })),
  timings: timingsSchema,
  limits: serverLimitsSchema.optional(),
});
export type RegisterRunnerResponse = z.infer<typeof registerRunnerResponseSchema>;

/**
 * What a runner tells the server of itself as it stops (`POST /v1/runners/:id/presence`):
 * `draining`, it finishes its jobs and claims no more; `offline`, it is gone. The server says so
 * at once (waiting reasons, runners page) rather than after the online window. A draining
 * runner's next claim, and an offline one's next call of any kind, undo it.
 */
export const runnerPresenceSchema = z.enum(['draining', 'offline']);
export type RunnerPresence = z.infer<typeof runnerPresenceSchema>;
/** The most attempt ids `holding` lists; a runner that holds more leaves the list out. */
export const MAX_HELD_ATTEMPTS = 1000;
export const runnerPresenceRequestSchema = z.object({
  presence: runnerPresenceSchema,
  /**
   * With `offline`: every attempt the runner still holds (running, or with a report it has yet
   * to deliver). Any other attempt the server gave it is one whose claim answer the runner never
   * read (it stopped as the answer came): the server requeues that job at once rather than after
   * its lease. Left out, the server releases nothing.
   */
  holding: z.array(idSchema).max(MAX_HELD_ATTEMPTS).optional(),
});
export type RunnerPresenceRequest = z.infer<typeof runnerPresenceRequestSchema>;
/** The server's answer: the presence it recorded, and how many unread claims it requeued. */
export const runnerPresenceResponseSchema = z.object({
  presence: runnerPresenceSchema,
  released: z.number().int().min(0).optional(),
});
export type RunnerPresenceResponse = z.infer<typeof runnerPresenceResponseSchema>;
