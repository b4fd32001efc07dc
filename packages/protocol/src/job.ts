import { z } from 'zod';
import { PERMISSION_MODES } from './names.js';
import { agentIdSchema, idSchema, timestampSchema, usageSchema, webUrlSchema } from './common.js';

export const jobStatusSchema = z.enum([
  'backlog',
  'ready',
  'in_progress',
  'awaiting_review',
  'done',
  'failed',
  'cancelled',
]);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** Statuses a job never leaves on its own. */
export const terminalJobStatuses: readonly JobStatus[] = ['awaiting_review', 'done', 'failed', 'cancelled'];

/** Who may run a job: the submitter's runners (default), the team's, anyone's, or one runner by name. */
export const routingSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('mine') }),
  z.object({ mode: z.literal('team') }),
  z.object({ mode: z.literal('any') }),
  z.object({ mode: z.literal('runner'), runnerName: z.string().min(1).max(100) }),
]);
export type Routing = z.infer<typeof routingSchema>;

/** A clone URL a runner will accept: https, ssh, http only on loopback (the local forge). */
export const cloneUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    if (/^(ssh:\/\/|git@[^:]+:)/.test(value)) return true;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.username || url.password) return false; // credentials never travel in URLs
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  }, 'must be an https or ssh URL without credentials (http only on loopback)');

const gitRefNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]+(?<![./])$/, 'is not a safe git branch name');

/**
 * A directory of the repository, `/`-separated and relative (`packages/app`): no `.` or `..`
 * segments, no glob or pattern characters (cone mode takes directories, not patterns), no leading
 * `-` or `#`, and nothing git would read as an option or a comment.
 */
export const sparseDirectorySchema = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) =>
      p.split('/').every(
        (segment) =>
          segment !== '' &&
          segment !== '.' &&
          segment !== '..' &&
          !/^[-#]/.test(segment) &&
          // eslint-disable-next-line no-control-regex
          !/[\u0000-\u001f\u007f*?[\]!\\]/.test(segment),
      ),
    'must be a directory of the repository, relative and without patterns (like "packages/app")',
  );

export const repositorySchema = z.object({
  /** Where to clone from. */
  cloneUrl: cloneUrlSchema,
  /** `owner/name` on the forge, for the pulls API. */
  owner: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/, 'is not a valid owner'),
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/, 'is not a valid repository name'),
  /** Branch the pull request targets; the forge's default branch when absent. */
  baseBranch: gitRefNameSchema.optional(),
  /** Open the pull request as a draft (one that exists already keeps its state). */
  draft: z.boolean().optional(),
  /**
   * A sparse checkout: only these directories (and the files directly inside their parents and at
   * the top level) are written to the work tree, git's cone mode. Commits keep every other file.
   */
  sparse: z.array(sparseDirectorySchema).min(1).max(100).optional(),
});
export type Repository = z.infer<typeof repositorySchema>;

/** Relative path inside the work directory: no absolute paths, no `..` segments. */
export const relativePathSchema = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.includes('\\') && !p.split('/').includes('..'),
    'must be a relative path inside the work directory',
  );

export const jobContextSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('repository'), repository: repositorySchema }),
  z.object({
    type: z.literal('local'),
    /** The folder of the work directory whose files are the job's outputs (default: all of it). */
    outputs: relativePathSchema.optional(),
  }),
]);
export type JobContext = z.infer<typeof jobContextSchema>;

/** An `ask` step's answer goes into later `say` texts and `write` contents as `{{answer:<id>}}`. */
const answerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only');

/**
 * One step of the demo agent's plan. `write` and `run` with `ask: true` first ask for approval
 * and honour the answer; `ask` asks a question. Every approval path can be shown without a model.
 */
export const demoStepSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('say'), text: z.string().max(10_000) }),
  z.object({
    type: z.literal('write'),
    path: relativePathSchema,
    content: z.string().max(1_000_000),
    ask: z.boolean().optional(),
  }),
  /** Prints a file, like an agent's read tool: any path, except the runner's private state. */
  z.object({ type: z.literal('read'), path: z.string().min(1).max(4096) }),
  z.object({
    type: z.literal('run'),
    /** argv, never a shell string: the first element is the program. */
    command: z.array(z.string().max(4096)).min(1).max(64),
    ask: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('ask'),
    id: answerIdSchema,
    question: z.string().min(1).max(10_000),
    /** Without options the answer is free text; with them, free text is allowed too. */
    options: z.array(z.string().min(1).max(500)).max(10).optional(),
    multiSelect: z.boolean().optional(),
    /** The answer is a secret (typed hidden, kept out of every event). */
    secret: z.boolean().optional(),
  }),
]);
export type DemoStep = z.infer<typeof demoStepSchema>;

/**
 * What an agent may do without asking a person (a runner's setting, and a job's): `ask`
 * (everything asks), `auto_edit` (edits inside the project), `auto_project` (anything inside it).
 */
export const permissionModeSchema = z.enum(PERMISSION_MODES);
export type PermissionMode = z.infer<typeof permissionModeSchema>;

export const agentSpecSchema = z
  .object({
    id: agentIdSchema,
    model: z.string().min(1).max(200).optional(),
    /** Tightens the runner's permission mode for this job; it never loosens it. */
    permissionMode: permissionModeSchema.optional(),
    /** The agent is stopped once its reported cost passes this, and the attempt fails saying so. */
    maxCostUsd: z.number().positive().max(100_000).optional(),
    /** The demo agent's script; required for `demo`, ignored by real agents. */
    plan: z.array(demoStepSchema).max(100).optional(),
  })
  .refine((a) => a.id !== 'demo' || (a.plan !== undefined && a.plan.length > 0), {
    message: 'the demo agent needs a non-empty plan',
    path: ['plan'],
  });
export type AgentSpec = z.infer<typeof agentSpecSchema>;

/** What a person (or tool) submits to create a job. */
export const jobSubmissionSchema = z.object({
  title: z.string().trim().min(1).max(200),
  instructions: z.string().min(1).max(200_000),
  context: jobContextSchema,
  agent: agentSpecSchema,
  routing: routingSchema.default({ mode: 'mine' }),
  /** Submitted straight to Ready unless `backlog`. */
  status: z.enum(['ready', 'backlog']).default('ready'),
  /** Attempts allowed before the job fails for good (transient failures requeue). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
});
export type JobSubmission = z.input<typeof jobSubmissionSchema>;
export type JobSpec = z.output<typeof jobSubmissionSchema>;

export const outcomeSchema = z.enum(['succeeded', 'no_changes', 'failed', 'cancelled', 'stopped']);
export type Outcome = z.infer<typeof outcomeSchema>;

export const failureSchema = z.object({
  code: z.string().min(1).max(100),
  message: z.string().max(10_000),
  retryable: z.boolean(),
});
export type Failure = z.infer<typeof failureSchema>;

export const pullRequestRefSchema = z.object({
  url: webUrlSchema,
  number: z.number().int().positive(),
  branch: gitRefNameSchema,
});
export type PullRequestRef = z.infer<typeof pullRequestRefSchema>;

export const attemptStatusSchema = z.enum([
  'active',
  'succeeded',
  'no_changes',
  'failed',
  'cancelled',
  'stopped',
  'lost',
]);
export type AttemptStatus = z.infer<typeof attemptStatusSchema>;

export const attemptViewSchema = z.object({
  id: idSchema,
  number: z.number().int().positive(),
  runnerId: idSchema,
  runnerName: z.string(),
  status: attemptStatusSchema,
  startedAt: timestampSchema,
  endedAt: timestampSchema.nullable(),
  summary: z.string().nullable(),
  pullRequest: pullRequestRefSchema.nullable(),
  outputs: z.array(z.string()).nullable(),
  error: failureSchema.nullable(),
  usage: usageSchema.nullable(),
  sessionId: z.string().nullable(),
  /** The reviewer feedback this attempt answers (a revision), if any (absent from older servers). */
  feedback: z.string().nullable().optional(),
  /** Highest contiguous event seq the server holds. */
  eventsAcked: z.number().int().nonnegative(),
});
export type AttemptView = z.infer<typeof attemptViewSchema>;

/**
 * Why a Ready job has not been taken yet. `code` is one of no_runner, runner_offline,
 * agent_unavailable, runners_busy, queued, affinity; a string, so a newer server's codes still parse.
 */
export const jobWaitingSchema = z.object({
  code: z.string().min(1).max(100),
  message: z.string().max(4000),
});
export type JobWaiting = z.infer<typeof jobWaitingSchema>;

export const jobViewSchema = z.object({
  id: idSchema,
  workspaceId: idSchema,
  status: jobStatusSchema,
  spec: jobSubmissionSchema,
  submittedBy: idSchema,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  /** When the job last became Ready (claim latency is measured from here). */
  readyAt: timestampSchema.nullable(),
  attempts: z.array(attemptViewSchema),
  /** Set while the job is Ready: why no runner has taken it (absent from older servers). */
  waiting: jobWaitingSchema.nullable().optional(),
});
export type JobView = z.infer<typeof jobViewSchema>;

/** What a reviewer writes when they request changes on a job in Awaiting Review. */
export const reviewerFeedbackSchema = z.string().trim().min(1).max(20_000);

/** `POST /jobs/:id/request-changes`: a new attempt on the same branch and pull request. */
export const requestChangesSchema = z.object({ feedback: reviewerFeedbackSchema });
export type RequestChanges = z.infer<typeof requestChangesSchema>;

export const jobListSchema = z.object({ jobs: z.array(jobViewSchema) });
export type JobList = z.infer<typeof jobListSchema>;
export const jobResponseSchema = z.object({ job: jobViewSchema });
/** `POST /v1/jobs/ready`: Backlog jobs made Ready together (all or none). */
export const readyJobsRequestSchema = z.object({
  jobIds: z.array(z.string().min(1).max(128)).min(1).max(5000),
});
export type ReadyJobsRequest = z.infer<typeof readyJobsRequestSchema>;
export type JobResponse = z.infer<typeof jobResponseSchema>;
