import type { AttemptView, InteractionView, JobStatus, JobView } from '@coord/runner-protocol';
import { waitingReasons } from '../claims/waiting-reason.js';
import { ApiError } from '../errors.js';
import { iso, parseJson } from '../util/ids.js';
import type { Store } from './store.js';

export interface JobRow {
  seq: number;
  id: string;
  workspace_id: string;
  submitted_by: string;
  status: JobStatus;
  spec: string;
  agent_id: string;
  routing_mode: string;
  routing_runner: string | null;
  context_type: string;
  repo_owner: string | null;
  repo_name: string | null;
  clone_url: string | null;
  max_attempts: number;
  cancel_requested: number;
  created_at: number;
  updated_at: number;
  ready_at: number | null;
  pending_feedback: string | null;
  revision_after: number;
  /** The lost runner this Ready job is held for, until `affinity_until`. */
  affinity_runner: string | null;
  affinity_until: number | null;
}

export interface AttemptRow {
  id: string;
  job_id: string;
  number: number;
  runner_id: string;
  status: AttemptView['status'];
  started_at: number;
  ended_at: number | null;
  lease_expires_at: number;
  runner_state: string | null;
  summary: string | null;
  pull_request: string | null;
  outputs: string | null;
  error: string | null;
  usage: string | null;
  session_id: string | null;
  last_seq: number | null;
  events_acked: number;
  forge_token_hash: string | null;
  completion: string | null;
  completion_answer: string | null;
  feedback: string | null;
}

export interface InteractionRow {
  id: string;
  attempt_id: string;
  job_id: string;
  request: string;
  created_at: number;
  answer: string | null;
  answered_by: 'runner' | 'web' | null;
  answered_at: number | null;
}

export function jobRow(store: Store, jobId: string): JobRow | undefined {
  return store.sql('SELECT * FROM jobs WHERE id = ?').get(jobId) as JobRow | undefined;
}

export function attemptRow(store: Store, attemptId: string): AttemptRow | undefined {
  return store.sql('SELECT * FROM attempts WHERE id = ?').get(attemptId) as AttemptRow | undefined;
}

export function toAttemptView(row: AttemptRow & { runner_name: string }): AttemptView {
  return {
    id: row.id,
    number: row.number,
    runnerId: row.runner_id,
    runnerName: row.runner_name,
    status: row.status,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    summary: row.summary,
    pullRequest: parseJson(row.pull_request),
    outputs: parseJson(row.outputs),
    error: parseJson(row.error),
    usage: parseJson(row.usage),
    sessionId: row.session_id,
    feedback: row.feedback,
    eventsAcked: row.events_acked,
  };
}

/**
 * The job as the protocol shows it. `spec` is returned as stored: for jobs inserted raw by tests
 * (`insertRawJob`) it may not satisfy the submission schema, on purpose. A Ready job says why it
 * waits, as `viewer` may see it (runner names of the viewer's own account only).
 */
export function toJobView(store: Store, row: JobRow, viewer = row.submitted_by): JobView {
  return toJobViews(store, [row], viewer)[0]!;
}

/** `toJobView` for many jobs: their waiting reasons are worked out together (see `waitingReasons`). */
export function toJobViews(store: Store, rows: readonly JobRow[], viewer?: string): JobView[] {
  const ready = rows.filter((row) => row.status === 'ready');
  const reasons = waitingReasons(
    store,
    ready.map((job) => ({ job, viewer: viewer ?? job.submitted_by })),
  );
  const waiting = new Map(ready.map((row, i) => [row.id, reasons[i]!]));
  const attemptsOf = store.sql(
    'SELECT a.*, r.name AS runner_name FROM attempts a JOIN runners r ON r.id = a.runner_id WHERE a.job_id = ? ORDER BY a.number',
  );
  return rows.map((row) => ({
    id: row.id,
    workspaceId: row.workspace_id,
    status: row.status,
    spec: JSON.parse(row.spec) as JobView['spec'],
    submittedBy: row.submitted_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    readyAt: iso(row.ready_at),
    attempts: (attemptsOf.all(row.id) as (AttemptRow & { runner_name: string })[]).map(toAttemptView),
    waiting: waiting.get(row.id) ?? null,
  }));
}

export function toInteractionView(row: InteractionRow): InteractionView {
  return {
    id: row.id,
    attemptId: row.attempt_id,
    jobId: row.job_id,
    request: JSON.parse(row.request) as InteractionView['request'],
    createdAt: iso(row.created_at),
    answer: parseJson(row.answer),
    answeredBy: row.answered_by,
    answeredAt: iso(row.answered_at),
  };
}

/** The attempt, if the account may see it: a member of the job's workspace, or the owner of its runner. */
export function visibleAttempt(store: Store, accountId: string, attemptId: string): AttemptRow {
  const row = store
    .sql(
      `SELECT a.* FROM attempts a JOIN jobs j ON j.id = a.job_id JOIN runners r ON r.id = a.runner_id
       WHERE a.id = @id AND (r.account_id = @account
         OR EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = j.workspace_id AND m.account_id = @account))`,
    )
    .get({ id: attemptId, account: accountId }) as AttemptRow | undefined;
  if (!row) throw new ApiError(404, 'attempt.not_found', `No attempt ${attemptId}`);
  return row;
}
