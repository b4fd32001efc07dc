import { failureSchema, outcomeSchema, pullRequestRefSchema, usageSchema } from '@coord/runner-protocol';
import { z } from 'zod';
import type { AttemptMachineContext, Reattach, ResumableStep } from '../machine/attempt-machine.js';
import type { PreparedWorkspace } from './ports.js';

/**
 * An attempt's checkpoint (DESIGN.md section 5): written to the state dir as each state is entered
 * (the machine's `checkpoint` action), before the state's actor starts (for the state the machine
 * starts in, just after), so that a runner killed with `kill -9` and started again within the
 * lease resumes the attempt where it was instead of doing it twice. No secret is in it: the forge
 * token is given again by the server when the attempt is reattached.
 *
 * The steps and what a restart does at each:
 * - `preparing`: prepare again (it replaces a half-made work tree).
 * - `running`: the agent is started again in the same work dir, resuming its session.
 * - `publishing`: publish again. Publishing is idempotent: what the dead run committed is not
 *   committed again (nothing is left staged), a pushed branch is pushed as a no-op, and an opened
 *   pull request is found and updated, never opened twice.
 * - `reporting`: the outcome (and the pull request) is reported; nothing is published again.
 */
const stepSchema = z.enum(['preparing', 'running', 'publishing', 'reporting'] satisfies ResumableStep[]);

export const checkpointSchema = z.object({
  version: z.literal(1),
  step: stepSchema,
  /** The work tree prepare made (paths and commits only). */
  prepared: z
    .object({
      workDir: z.string().min(1),
      branch: z.string().min(1),
      baseBranch: z.string().min(1),
      baseCommit: z.string().min(1),
      originTip: z.string().nullable().optional(),
    })
    .nullable(),
  workDir: z.string().min(1).nullable(),
  /** The agent session to resume: the latest try's, once the agent said it. */
  agentSessionId: z.string().min(1).nullable(),
  /** The marker the latest agent start's processes carry (`ATTEMPT_RUN_ENV`): what a restart stops first. */
  agentRunMarker: z
    .string()
    .regex(/^[0-9a-f]{16,64}$/)
    .nullable()
    .optional(),
  /** In-place retries already made: they count against the job's budget after a restart too. */
  retries: z.number().int().nonnegative(),
  /** What the agent's turn ended with, once it completed (publishing and reporting need it). */
  agentResult: z
    .object({
      status: z.enum(['completed', 'interrupted', 'failed']),
      sessionId: z.string().nullable(),
      summary: z.string(),
      usage: usageSchema.nullable(),
      error: failureSchema.nullable(),
    })
    .nullable(),
  publication: z
    .object({
      outcome: z.enum(['succeeded', 'no_changes']),
      pullRequest: pullRequestRefSchema.nullable(),
      outputs: z.array(z.string()).nullable(),
    })
    .nullable(),
  finish: z.object({ outcome: outcomeSchema, error: failureSchema.nullable() }).nullable(),
  /**
   * The seq of the attempt's next event when this was written. Events after it are in the spool,
   * which numbers them; a spool holding fewer than this lost some, and the seq cannot go on.
   */
  nextSeq: z.number().int().positive(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** The checkpoint of `step`, from the machine's context and the attempt's work tree and session. */
export function checkpointOf(
  step: ResumableStep,
  context: AttemptMachineContext,
  attempt: {
    prepared: PreparedWorkspace | null;
    agentSessionId: string | null;
    agentRunMarker?: string | null;
    nextSeq: number;
  },
): Checkpoint {
  return {
    version: 1,
    step,
    prepared: attempt.prepared,
    workDir: context.workDir,
    agentSessionId: attempt.agentSessionId ?? context.agentSessionId,
    agentRunMarker: attempt.agentRunMarker ?? null,
    retries: context.retries,
    agentResult: context.agentResult,
    publication: context.publication,
    finish: step === 'reporting' ? context.finish : null,
    nextSeq: attempt.nextSeq,
  };
}

/**
 * What a restarted runner does with an attempt its earlier run left unreported: `reattach` it at
 * its checkpoint (when the server confirms the lease still holds), or `report` it as interrupted
 * (the job is requeued) when there is no usable checkpoint or its events cannot go on without a gap.
 */
export type RestartDecision =
  { kind: 'reattach'; checkpoint: Checkpoint; reattach: Reattach } | { kind: 'report'; reason: string };

export function restartDecision(raw: unknown, spooledEvents: number): RestartDecision {
  if (raw === undefined || raw === null)
    return { kind: 'report', reason: 'no checkpoint was written before the runner stopped' };
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'report', reason: 'its checkpoint is unreadable' };
  const checkpoint = parsed.data;
  if (spooledEvents + 1 < checkpoint.nextSeq)
    return {
      kind: 'report',
      reason: `its event spool holds ${spooledEvents} events, fewer than the ${checkpoint.nextSeq - 1} its checkpoint saw`,
    };
  const needsWorkDir = checkpoint.step === 'running' || checkpoint.step === 'publishing';
  if (needsWorkDir && checkpoint.workDir === null)
    return { kind: 'report', reason: 'its checkpoint names no work directory' };
  if (checkpoint.step === 'publishing' && checkpoint.agentResult === null)
    return { kind: 'report', reason: "its checkpoint lacks the agent's result to publish" };
  if (checkpoint.step === 'reporting' && checkpoint.finish === null)
    return { kind: 'report', reason: 'its checkpoint lacks the outcome to report' };
  return {
    kind: 'reattach',
    checkpoint,
    reattach: {
      step: checkpoint.step,
      workDir: checkpoint.workDir,
      agentSessionId: checkpoint.agentSessionId,
      retries: checkpoint.retries,
      agentResult: checkpoint.agentResult,
      publication: checkpoint.publication,
      finish: checkpoint.finish,
    },
  };
}
