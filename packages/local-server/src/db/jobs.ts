import type { JobSpec, JobStatus, JobView } from '@coord/runner-protocol';
import { ApiError } from '../errors.js';
import { newId } from '../util/ids.js';
import { DEFAULT_ACCOUNT, DEFAULT_WORKSPACE, isMember } from './accounts.js';
import type { Store } from './store.js';
import { jobRow, toJobView, toJobViews, type JobRow } from './views.js';

interface JobColumns {
  agentId: string;
  routingMode: string;
  routingRunner: string | null;
  contextType: string;
  repoOwner: string | null;
  repoName: string | null;
  cloneUrl: string | null;
  maxAttempts: number;
  status: 'ready' | 'backlog';
}

function insertJob(
  store: Store,
  workspaceId: string,
  submittedBy: string,
  spec: unknown,
  cols: JobColumns,
): string {
  const id = newId('job');
  const now = Date.now();
  store.tx(() => {
    store
      .sql(
        `INSERT INTO jobs (id, workspace_id, submitted_by, status, spec, agent_id, routing_mode, routing_runner,
           context_type, repo_owner, repo_name, clone_url, max_attempts, created_at, updated_at, ready_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        workspaceId,
        submittedBy,
        cols.status,
        JSON.stringify(spec),
        cols.agentId,
        cols.routingMode,
        cols.routingRunner,
        cols.contextType,
        cols.repoOwner,
        cols.repoName,
        cols.cloneUrl,
        cols.maxAttempts,
        now,
        now,
        cols.status === 'ready' ? now : null,
      );
  });
  if (cols.status === 'ready') store.notifyReady();
  return id;
}

/** Stores a validated submission; the columns the claim query filters on are copied out of it. */
export function submitJob(store: Store, accountId: string, workspaceId: string, spec: JobSpec): JobView {
  if (!isMember(store, workspaceId, accountId)) {
    throw new ApiError(404, 'request.not_found', `No workspace ${workspaceId} for this account`);
  }
  const repo = spec.context.type === 'repository' ? spec.context.repository : null;
  const id = insertJob(store, workspaceId, accountId, spec, {
    agentId: spec.agent.id,
    routingMode: spec.routing.mode,
    routingRunner: spec.routing.mode === 'runner' ? spec.routing.runnerName : null,
    contextType: spec.context.type,
    repoOwner: repo?.owner ?? null,
    repoName: repo?.name ?? null,
    cloneUrl: repo?.cloneUrl ?? null,
    maxAttempts: spec.maxAttempts,
    status: spec.status,
  });
  return toJobView(store, jobRow(store, id)!);
}

/**
 * For tests: queues a job whose spec is stored as given, without validation, so a runner can be
 * handed an assignment it cannot parse. Routing and agent come from the options (the spec may
 * not have them); the job is Ready at once.
 */
export function insertRawJob(
  store: Store,
  options: {
    spec: unknown;
    agentId: string;
    workspaceId?: string;
    submittedBy?: string;
    routing?: { mode: 'mine' | 'team' | 'any' } | { mode: 'runner'; runnerName: string };
    maxAttempts?: number;
  },
): string {
  const routing = options.routing ?? { mode: 'mine' };
  return insertJob(
    store,
    options.workspaceId ?? DEFAULT_WORKSPACE,
    options.submittedBy ?? DEFAULT_ACCOUNT,
    options.spec,
    {
      agentId: options.agentId,
      routingMode: routing.mode,
      routingRunner: routing.mode === 'runner' ? routing.runnerName : null,
      contextType: 'unknown',
      repoOwner: null,
      repoName: null,
      cloneUrl: null,
      maxAttempts: options.maxAttempts ?? 3,
      status: 'ready',
    },
  );
}

/** The job, if the account may see it (a member of its workspace). */
export function visibleJob(store: Store, accountId: string, jobId: string): JobRow {
  const row = jobRow(store, jobId);
  if (!row || !isMember(store, row.workspace_id, accountId))
    throw new ApiError(404, 'job.not_found', `No job ${jobId}`);
  return row;
}

export function listJobs(
  store: Store,
  accountId: string,
  filter: { workspace?: string; status?: JobStatus },
): JobView[] {
  const rows = store
    .sql(
      `SELECT j.* FROM jobs j JOIN memberships m ON m.workspace_id = j.workspace_id AND m.account_id = @account
       WHERE (@workspace IS NULL OR j.workspace_id = @workspace) AND (@status IS NULL OR j.status = @status)
       ORDER BY j.seq`,
    )
    .all({
      account: accountId,
      workspace: filter.workspace ?? null,
      status: filter.status ?? null,
    }) as JobRow[];
  return toJobViews(store, rows);
}

function activeAttemptId(store: Store, jobId: string): string | undefined {
  const row = store.sql("SELECT id FROM attempts WHERE job_id = ? AND status = 'active'").get(jobId) as
    { id: string } | undefined;
  return row?.id;
}

/**
 * Ready/Backlog jobs are cancelled at once; a running one gets a `cancel` control on its next lease
 * renewal (and is marked so that a lost lease ends it rather than requeueing it).
 */
export function cancelJob(store: Store, accountId: string, jobId: string, reason?: string): JobView {
  store.tx(() => {
    const job = visibleJob(store, accountId, jobId);
    const now = Date.now();
    if (job.status === 'ready' || job.status === 'backlog') {
      store.sql("UPDATE jobs SET status = 'cancelled', updated_at = ? WHERE id = ?").run(now, jobId);
    } else if (job.status === 'in_progress') {
      const attemptId = activeAttemptId(store, jobId);
      store.sql('UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?').run(now, jobId);
      if (attemptId && job.cancel_requested === 0) {
        addControl(store, attemptId, { type: 'cancel', ...(reason ? { reason } : {}) }, now);
      }
    } else {
      // Finished jobs, including already cancelled ones: docs/protocol.md promises 409 here.
      throw new ApiError(409, 'job.invalid_state', `Job ${jobId} is ${job.status} and cannot be cancelled`);
    }
  });
  return hintActiveAttempt(store, toJobView(store, jobRow(store, jobId)!));
}

/**
 * Moves Backlog jobs to Ready in one transaction (one `readyAt`, one wake-up for waiting runners),
 * as a person does on the board. A job that is not visible is 404; one not in Backlog is 409, and
 * then nothing changes.
 */
export function readyJobs(store: Store, accountId: string, jobIds: readonly string[]): JobView[] {
  const now = Date.now();
  store.tx(() => {
    for (const jobId of jobIds) {
      const job = visibleJob(store, accountId, jobId);
      if (job.status !== 'backlog')
        throw new ApiError(409, 'job.invalid_state', `Job ${jobId} is ${job.status}, not in Backlog`);
    }
    const update = store.sql(
      "UPDATE jobs SET status = 'ready', ready_at = ?, updated_at = ? WHERE id = ? AND status = 'backlog'",
    );
    for (const jobId of jobIds) update.run(now, now, jobId);
  });
  if (jobIds.length > 0) store.notifyReady();
  return toJobViews(
    store,
    jobIds.map((jobId) => jobRow(store, jobId)!),
  );
}

/** A graceful stop: the runner lets the agent finish its current step, saves the session, and requeues. */
export function stopJob(store: Store, accountId: string, jobId: string, graceMs?: number): JobView {
  store.tx(() => {
    const job = visibleJob(store, accountId, jobId);
    const attemptId = job.status === 'in_progress' ? activeAttemptId(store, jobId) : undefined;
    if (!attemptId)
      throw new ApiError(409, 'job.invalid_state', `Job ${jobId} is ${job.status}, not running`);
    addControl(store, attemptId, { type: 'stop', ...(graceMs !== undefined ? { graceMs } : {}) }, Date.now());
  });
  return hintActiveAttempt(store, toJobView(store, jobRow(store, jobId)!));
}

/**
 * A reviewer asks for changes on a job in Awaiting Review: the job is Ready again, and its next
 * attempt carries the feedback, continues the job's branch and updates its pull request. The
 * retry budget starts afresh for the revision.
 */
export function requestChanges(store: Store, accountId: string, jobId: string, feedback: string): JobView {
  store.tx(() => {
    const job = visibleJob(store, accountId, jobId);
    if (job.status !== 'awaiting_review') {
      throw new ApiError(
        409,
        'job.invalid_state',
        `Job ${jobId} is ${job.status}: changes can be requested only on a job in Awaiting Review`,
      );
    }
    const now = Date.now();
    const last = store.sql('SELECT max(number) AS n FROM attempts WHERE job_id = ?').get(jobId) as {
      n: number | null;
    };
    store
      .sql(
        `UPDATE jobs SET status = 'ready', pending_feedback = ?, revision_after = ?, updated_at = ?, ready_at = ?
         WHERE id = ?`,
      )
      .run(feedback, last.n ?? 0, now, now, jobId);
  });
  store.notifyReady();
  return toJobView(store, jobRow(store, jobId)!);
}

/** Tells the runner holding the job's active attempt (if any) that a control waits for it. */
function hintActiveAttempt(store: Store, job: JobView): JobView {
  const active = job.attempts.find((a) => a.status === 'active');
  if (active) store.notifyControl(active.id);
  return job;
}

export function addControl(store: Store, attemptId: string, payload: object, now: number): void {
  store
    .sql('INSERT INTO controls (attempt_id, payload, created_at) VALUES (?, ?, ?)')
    .run(attemptId, JSON.stringify(payload), now);
}

/**
 * After an attempt ends without finishing the job: back to Ready (a new attempt) while the retry
 * budget lasts, Failed after, Cancelled if someone asked. Stopped attempts do not use the budget.
 * Returns the new status; the caller wakes parked claims after commit when it is `ready`.
 */
export function requeueOrFail(
  store: Store,
  jobId: string,
  now: number,
  countsAgainstBudget: boolean,
): JobStatus {
  const job = jobRow(store, jobId)!;
  let status: JobStatus;
  if (job.cancel_requested) status = 'cancelled';
  else if (!countsAgainstBudget) status = 'ready';
  else {
    const used = (
      store
        .sql("SELECT count(*) AS n FROM attempts WHERE job_id = ? AND status != 'stopped' AND number > ?")
        .get(jobId, job.revision_after) as {
        n: number;
      }
    ).n;
    status = used < job.max_attempts ? 'ready' : 'failed';
  }
  store
    .sql(
      'UPDATE jobs SET status = ?, updated_at = ?, ready_at = CASE WHEN ? THEN ? ELSE ready_at END WHERE id = ?',
    )
    .run(status, now, status === 'ready' ? 1 : 0, now, jobId);
  return status;
}
