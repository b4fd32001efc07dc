import { z } from 'zod';
import { idSchema, timestampSchema } from './common.js';

export const approvalDecisionSchema = z.enum(['allow_once', 'allow_session', 'deny']);
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/**
 * The one line a person judges an approval by: the tool and what it would do. Agents' summaries
 * mostly start with the tool's name already ("Bash: ls -la"): it is not said twice.
 */
export function approvalLine(request: { toolName: string; summary: string }): string {
  const { toolName, summary } = request;
  const named = summary.startsWith(`${toolName}:`) || summary.startsWith(`${toolName} `);
  return named ? summary : `${toolName}: ${summary}`;
}

export const interactionRequestSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('approval'),
    toolName: z.string().min(1).max(200),
    /** A one-line description a person can judge (the command, the file path). */
    summary: z.string().max(10_000),
    input: z.unknown(),
    /** Why the runner's permission policy asked instead of deciding (absent from older runners). */
    reason: z.string().max(2000).optional(),
    /** Where the agent works: what "inside the project" means for this request. */
    workDir: z.string().max(4096).optional(),
  }),
  z.object({
    kind: z.literal('question'),
    questions: z
      .array(
        z.object({
          id: z.string().min(1).max(100),
          text: z.string().min(1).max(10_000),
          options: z
            .array(z.object({ label: z.string().max(500), description: z.string().max(2000).optional() }))
            .max(20),
          multiSelect: z.boolean().default(false),
          allowFreeText: z.boolean().default(true),
          /**
           * The answer is a secret (a password, a key): typed hidden, and the runner keeps it out
           * of every event, log and report (absent: an ordinary answer). An answer given on the
           * runner never reaches the server; one given on the web is relayed by it while the
           * attempt runs, and masked in its record once the attempt is over.
           */
          secret: z.boolean().optional(),
        }),
      )
      .min(1)
      .max(10),
  }),
]);
export type InteractionRequest = z.input<typeof interactionRequestSchema>;

export const interactionAnswerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('approval'),
    decision: approvalDecisionSchema,
    /** A note for the agent (why it was denied, what to do instead). */
    message: z.string().max(2000).optional(),
    /** With `deny`: also end the agent's turn ("deny and stop"); a runner that ignores it just denies. */
    stop: z.boolean().optional(),
  }),
  z.object({ kind: z.literal('question'), answers: z.record(z.string(), z.array(z.string().max(10_000))) }),
  /** Nobody answered in time: the safe default applies (deny / no answer). */
  z.object({ kind: z.literal('timeout') }),
  /**
   * Nobody needs to answer any more: the agent withdrew the request (an interrupt, its turn
   * ended) or its run ended (the attempt stopped, failed or is retried). Sent by runners only.
   */
  z.object({ kind: z.literal('withdrawn') }),
]);
export type InteractionAnswer = z.infer<typeof interactionAnswerSchema>;

export const answerRequestSchema = z.object({
  answer: interactionAnswerSchema,
  /** Who answered: `runner` (its own UI) or `web` (the Coord web app). */
  by: z.enum(['runner', 'web']),
});
export type AnswerRequest = z.infer<typeof answerRequestSchema>;

export const interactionViewSchema = z.object({
  id: idSchema,
  attemptId: idSchema,
  jobId: idSchema,
  request: interactionRequestSchema,
  createdAt: timestampSchema,
  answer: interactionAnswerSchema.nullable(),
  answeredBy: z.enum(['runner', 'web']).nullable(),
  answeredAt: timestampSchema.nullable(),
});
export type InteractionView = z.infer<typeof interactionViewSchema>;

export const interactionResponseSchema = z.object({ interaction: interactionViewSchema });
export type InteractionResponse = z.infer<typeof interactionResponseSchema>;

/** What everything but the agent is given in place of a secret answer: events, logs, the server's record. */
export const SECRET_ANSWER = '[secret]';

/** The ids of the questions of `request` that are secret. */
export function secretQuestionIds(request: InteractionRequest): Set<string> {
  if (request.kind !== 'question') return new Set();
  return new Set(request.questions.filter((q) => q.secret === true).map((q) => q.id));
}

/**
 * The answer as anything but the agent may see it: each secret question's values replaced by
 * SECRET_ANSWER (a short secret is below what redaction can match, so it is never shown at all).
 */
export function maskSecretAnswers(request: InteractionRequest, answer: InteractionAnswer): InteractionAnswer {
  const secret = secretQuestionIds(request);
  if (answer.kind !== 'question' || secret.size === 0) return answer;
  const answers = Object.fromEntries(
    Object.entries(answer.answers).map(([id, values]) => [
      id,
      secret.has(id) ? values.map(() => SECRET_ANSWER) : values,
    ]),
  );
  return { ...answer, answers };
}
