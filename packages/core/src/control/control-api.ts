import {
  agentIdSchema,
  agentStateSchema,
  attemptEventSchema,
  failureSchema,
  interactionAnswerSchema,
  interactionRequestSchema,
  outcomeSchema,
  pullRequestRefSchema,
} from '@coord/runner-protocol';
import { z } from 'zod';
import { resolvedBySchema } from '../events/resolved-by.js';
export type { ResolvedBy } from '../events/resolved-by.js';
import type { RunnerEvent } from '../events/runner-event.js';
import type { AttemptState } from '../machine/attempt-machine.js';

/**
 * The control API (DESIGN.md section 11): everything a person does to a running runner, as plain
 * JSON requests, answers and pushed events, whatever carries them (a Unix socket, Electron IPC).
 * Bump the version on any change an older client could misread: a runner answers a request of
 * another version with `control.unsupported_version`, so the client can say "upgrade", not crash.
 * 2: the runner's state says `signed_out`. 3: an answer can be resolved `withdrawn`.
 */
export const CONTROL_API_VERSION = 3;

/**
 * The attempt machine's state names, spelled out so this module stays free of xstate (the CLI
 * loads it on its fast paths); the compiler holds the list equal to the machine's own.
 */
const attemptStates = [
  'claimed',
  'preparing',
  'running',
  'awaiting_input',
  'retrying',
  'stopping',
  'publishing',
  'reporting',
  'done',
  'lease_lost',
] as const satisfies readonly AttemptState[];
const everyStateListed: Exclude<AttemptState, (typeof attemptStates)[number]> extends never ? true : false =
  true;
void everyStateListed;
const attemptStateSchema = z.enum(attemptStates);
const runnerStatusSchema = z.enum([
  'starting',
  'idle',
  'busy',
  'offline',
  'signed_out',
  'stopping',
  'stopped',
]);
const epochMsSchema = z.number().int().nonnegative();

export const waitingInteractionSchema = z.object({
  interactionId: z.string(),
  jobId: z.string(),
  attemptId: z.string(),
  request: interactionRequestSchema,
  since: epochMsSchema,
});
export type WaitingInteraction = z.infer<typeof waitingInteractionSchema>;

export const activeAttemptSchema = z.object({
  jobId: z.string(),
  attemptId: z.string(),
  attemptNumber: z.number().int().positive(),
  title: z.string(),
  workspaceId: z.string().nullable(),
  agent: agentIdSchema.nullable(),
  state: attemptStateSchema,
  startedAt: epochMsSchema.nullable(),
  elapsedMs: z.number().int().nonnegative().nullable(),
  /** The agent's latest line of output (a message, a tool, a log line), for a one-line view. */
  lastLine: z.string().nullable(),
  /**
   * The branch a repository job commits to, once its workspace is prepared (null before that and
   * for local jobs). Added after version 1 shipped: a runner that does not send it means null.
   */
  branch: z.string().nullable().default(null),
});
export type ActiveAttempt = z.infer<typeof activeAttemptSchema>;

export const connectionSchema = z.object({
  /** The connection's name when the runner has several (`default`, or an account's name). */
  name: z.string().optional(),
  server: z.string(),
  runnerId: z.string().nullable(),
  status: runnerStatusSchema,
  /** Why the runner is in this status (offline: the last error talking to the server). */
  message: z.string().nullable(),
  since: epochMsSchema.nullable(),
});

export const statusSnapshotSchema = z.object({
  version: z.literal(CONTROL_API_VERSION),
  runnerVersion: z.string(),
  pid: z.number().int().positive(),
  stateDir: z.string(),
  connections: z.array(connectionSchema),
  capacity: z.number().int().positive(),
  active: z.array(activeAttemptSchema),
  waiting: z.array(waitingInteractionSchema),
  at: epochMsSchema,
});
export type StatusSnapshot = z.infer<typeof statusSnapshotSchema>;

export const usageTotalsSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative().nullable(),
});
export type UsageTotals = z.infer<typeof usageTotalsSchema>;

/** One finished attempt, as the history keeps it. */
export const historyEntrySchema = z.object({
  attemptId: z.string(),
  jobId: z.string(),
  attemptNumber: z.number().int().positive(),
  title: z.string(),
  workspaceId: z.string().nullable(),
  agent: agentIdSchema.nullable(),
  outcome: outcomeSchema,
  summary: z.string(),
  pullRequest: pullRequestRefSchema.nullable(),
  /** Why the attempt ended as it did when it did not succeed (what the next attempt retries). */
  error: failureSchema.nullable(),
  startedAt: epochMsSchema,
  finishedAt: epochMsSchema,
  durationMs: z.number().int().nonnegative(),
  usage: usageTotalsSchema.nullable(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const historyFilterSchema = z.object({
  outcome: z.array(outcomeSchema).min(1).optional(),
  workspaceId: z.string().optional(),
  agent: agentIdSchema.optional(),
  jobId: z.string().optional(),
  /** Finished at or after (epoch ms). */
  since: epochMsSchema.optional(),
  /** Finished before (epoch ms). */
  until: epochMsSchema.optional(),
  /** Words in the title, the summary, the job id or the pull request's URL (case-insensitive). */
  text: z.string().trim().min(1).max(200).optional(),
});
export type HistoryFilter = z.infer<typeof historyFilterSchema>;

export const historyPageSchema = z.object({
  /** Newest first. */
  entries: z.array(historyEntrySchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type HistoryPage = z.infer<typeof historyPageSchema>;

export const logPageSchema = z.object({
  jobId: z.string(),
  attemptId: z.string(),
  events: z.array(attemptEventSchema),
  /** The seq to pass as `afterSeq` for the next page. */
  lastSeq: z.number().int().nonnegative(),
  /** The attempt's newest seq so far: how long the whole log is (a viewer sizes its scrollbar by it). */
  newestSeq: z.number().int().nonnegative(),
  /** The attempt has finished: nothing more will be written. */
  finished: z.boolean(),
});
export type LogPage = z.infer<typeof logPageSchema>;

export const answerResultSchema = z.object({
  won: z.boolean(),
  by: resolvedBySchema,
  answer: interactionAnswerSchema,
});
export type AnswerResult = z.infer<typeof answerResultSchema>;

export const stopModeSchema = z.enum(['drain', 'graceful', 'force']);
export type StopMode = z.infer<typeof stopModeSchema>;

export const agentRowSchema = z.object({
  id: agentIdSchema,
  displayName: z.string(),
  state: agentStateSchema,
  version: z.string().nullable(),
  path: z.string().nullable(),
  hint: z.string().nullable(),
  /** Switched on in this runner's settings. */
  enabled: z.boolean(),
});
export type AgentRow = z.infer<typeof agentRowSchema>;

export const settingSchema = z.object({
  key: z.string(),
  /** Secrets come back masked (`sk-…abcd`), never in full. */
  value: z.unknown(),
  description: z.string(),
  secret: z.boolean(),
});
export type Setting = z.infer<typeof settingSchema>;

/** One finding of `coord-runner doctor` (the desktop app shows the same checks). */
export const doctorCheckSchema = z.object({
  check: z.string(),
  status: z.enum(['ok', 'warn', 'fail']),
  detail: z.string(),
  /** What to do about a problem. */
  next: z.string().nullable(),
});
export type DoctorCheck = z.infer<typeof doctorCheckSchema>;

/** One schema per request; the answer's schema is in `controlAnswerSchemas`. */
export const controlCallSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('status') }),
  z.object({
    method: z.literal('history'),
    filter: historyFilterSchema.default({}),
    cursor: z.string().nullable().default(null),
    limit: z.number().int().min(1).max(1000).default(50),
  }),
  z.object({
    method: z.literal('log'),
    /** A job id (its newest attempt on this runner) or an attempt id. */
    job: z.string().min(1),
    afterSeq: z.number().int().nonnegative().default(0),
    limit: z.number().int().min(1).max(5000).default(500),
  }),
  z.object({
    method: z.literal('answer'),
    interactionId: z.string().min(1),
    answer: interactionAnswerSchema,
  }),
  z.object({ method: z.literal('stop'), mode: stopModeSchema.default('drain') }),
  /** Stops one job's running attempt gracefully (a job id or an attempt id). */
  z.object({ method: z.literal('job.stop'), job: z.string().min(1) }),
  z.object({ method: z.literal('agents.list'), rescan: z.boolean().default(false) }),
  z.object({ method: z.literal('agents.set'), id: agentIdSchema, enabled: z.boolean() }),
  z.object({ method: z.literal('settings.list') }),
  z.object({ method: z.literal('settings.get'), key: z.string().min(1) }),
  z.object({ method: z.literal('settings.set'), key: z.string().min(1), value: z.string() }),
]);
export type ControlCall = z.input<typeof controlCallSchema>;
export type ParsedControlCall = z.output<typeof controlCallSchema>;
export type ControlMethod = ControlCall['method'];

export const controlAnswerSchemas = {
  status: statusSnapshotSchema,
  history: historyPageSchema,
  log: logPageSchema,
  answer: answerResultSchema,
  stop: z.object({ mode: stopModeSchema, active: z.number().int().nonnegative() }),
  'job.stop': z.object({ jobId: z.string(), attemptId: z.string() }),
  'agents.list': z.object({ agents: z.array(agentRowSchema) }),
  'agents.set': z.object({ agents: z.array(agentRowSchema) }),
  'settings.list': z.object({ settings: z.array(settingSchema) }),
  'settings.get': settingSchema,
  'settings.set': settingSchema,
} satisfies Record<ControlMethod, z.ZodType>;
export type ControlAnswer<M extends ControlMethod> = z.infer<(typeof controlAnswerSchemas)[M]>;

/** What a subscription follows: every runner event, or one job's log (stored, then live). */
export const controlSubscriptionSchema = z.discriminatedUnion('topic', [
  z.object({ topic: z.literal('events') }),
  z.object({
    topic: z.literal('log'),
    job: z.string().min(1),
    afterSeq: z.number().int().nonnegative().default(0),
  }),
]);
export type ControlSubscription = z.input<typeof controlSubscriptionSchema>;

/** Runner events cross as they are (their TypeScript type is `RunnerEvent`); the envelope is checked. */
export const pushedRunnerEventSchema = z.looseObject({ type: z.string().min(1), at: epochMsSchema });

export const controlPushSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('event'), event: pushedRunnerEventSchema }),
  z.object({ kind: z.literal('log'), page: logPageSchema }),
  /** The subscription is over: the runner stopped, or the followed attempt finished. */
  z.object({ kind: z.literal('end'), reason: z.enum(['runner_stopped', 'attempt_finished']) }),
]);
/** As sent: a runner event keeps its TypeScript type (`RunnerEvent`), which the schema checks loosely. */
export type ControlPush =
  Exclude<z.infer<typeof controlPushSchema>, { kind: 'event' }> | { kind: 'event'; event: RunnerEvent };

export const controlErrorCodeSchema = z.enum([
  'control.unsupported_version',
  'control.bad_request',
  'control.not_found',
  'control.unavailable',
  'control.failed',
]);
export type ControlErrorCode = z.infer<typeof controlErrorCodeSchema>;

export const controlErrorSchema = z.object({
  code: controlErrorCodeSchema,
  message: z.string(),
  /** What to do next, for a person. */
  hint: z.string().optional(),
});
export type ControlErrorPayload = z.infer<typeof controlErrorSchema>;

/** Every message a client sends: the version it speaks and what it asks. */
export const controlEnvelopeSchema = z.object({
  version: z.number().int().positive(),
  call: z.unknown().optional(),
  subscribe: z.unknown().optional(),
});

/** Every answer: the result, or an error. */
export const controlReplySchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: controlErrorSchema }),
]);
export type ControlReply = z.infer<typeof controlReplySchema>;
