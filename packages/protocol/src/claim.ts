import { z } from 'zod';
import { agentIdSchema, idSchema, timestampSchema, webUrlSchema } from './common.js';
import { jobSubmissionSchema, reviewerFeedbackSchema } from './job.js';

export const claimRequestSchema = z.object({
  /** How long the server may hold the request open when nothing is Ready. */
  waitMs: z.number().int().min(0).max(60_000).default(25_000),
  /** Attempts this runner is working on now; with its capacity, decides whether it may take more. */
  activeAttemptIds: z.array(idSchema).max(64).default([]),
  /**
   * Only jobs for these agents (a subset of those registered), when some are at the runner's
   * per-agent limit. Absent: any agent the runner registered as enabled.
   */
  agents: z.array(agentIdSchema).max(64).optional(),
  /**
   * Those of `activeAttemptIds` that wait on a lock (another job's mirror fetch) and have lent
   * their slot meanwhile: they do not count against the runner's capacity.
   */
  waitingAttemptIds: z.array(idSchema).max(64).optional(),
  /**
   * Chosen by the runner for one claim and sent again with each of its retries: a claim whose
   * answer was lost on the way (a dropped connection) gets that answer's attempt again, with a
   * new lease and forge token, rather than leaving it to hold a slot until its lease runs out.
   */
  claimKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/)
    .optional(),
});
export type ClaimRequest = z.input<typeof claimRequestSchema>;

/** Credentials the server mints for one attempt, valid while its lease is held. Never logged. */
export const forgeCredentialsSchema = z.object({
  /** GitHub-compatible REST API base URL for pull requests. */
  apiBaseUrl: z.string().url(),
  token: z.string().min(1),
});
export type ForgeCredentials = z.infer<typeof forgeCredentialsSchema>;

export const attemptInfoSchema = z.object({
  id: idSchema,
  jobId: idSchema,
  workspaceId: idSchema,
  number: z.number().int().positive(),
  leaseExpiresAt: timestampSchema,
  /** The agent session of the previous attempt, so this one can resume it. */
  previousSessionId: z.string().nullable(),
  /** The branch earlier attempts pushed to (revisions push to the same branch and PR). */
  branch: z.string().nullable(),
  /** Earlier attempts of the job, oldest first, for the agent's prompt (absent from older servers). */
  earlier: z
    .array(
      z.object({
        number: z.number().int().positive(),
        status: z.string().max(40),
        summary: z.string().max(4000).nullable(),
        error: z.string().max(2000).nullable(),
        /** The reviewer feedback that attempt answered (absent from older servers). */
        feedback: z.string().max(2000).nullable().optional(),
      }),
    )
    .max(20)
    .optional(),
  /**
   * What a reviewer asked for when they requested changes: this attempt is a revision, which
   * continues `branch` and updates its pull request (absent from older servers, null otherwise).
   */
  feedback: reviewerFeedbackSchema.nullable().optional(),
});
export type AttemptInfo = z.infer<typeof attemptInfoSchema>;

/**
 * What the runner parses first: the attempt it now holds. The job is parsed separately so that a
 * job the runner cannot understand still lets it report that attempt as failed.
 */
export const assignmentEnvelopeSchema = z.object({
  attempt: attemptInfoSchema,
  job: z.unknown(),
  forge: forgeCredentialsSchema.nullable(),
});
export type AssignmentEnvelope = z.infer<typeof assignmentEnvelopeSchema>;

/** Who submitted the job, for the `Co-authored-by` trailer of the runner's commits. */
export const submitterSchema = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320),
});
export type Submitter = z.infer<typeof submitterSchema>;

export const assignmentSchema = assignmentEnvelopeSchema.extend({
  job: z.object({
    id: idSchema,
    spec: jobSubmissionSchema,
    /** The job's page on the server, linked from the pull request (absent from older servers). */
    webUrl: webUrlSchema.optional(),
    submitter: submitterSchema.nullable().optional(),
  }),
});
export type Assignment = z.infer<typeof assignmentSchema>;

/** `assignment` is null when the wait ran out with nothing to do. */
export const claimResponseSchema = z.object({ assignment: assignmentEnvelopeSchema.nullable() });
export type ClaimResponse = z.infer<typeof claimResponseSchema>;

/**
 * `POST /attempts/:id/reattach`: a restarted runner takes up an attempt whose lease it still holds.
 * The lease is renewed and the assignment sent again, with new forge credentials.
 */
export const reattachResponseSchema = z.object({ assignment: assignmentEnvelopeSchema });
export type ReattachResponse = z.infer<typeof reattachResponseSchema>;
