import type {
  CompleteResponse,
  ControlRequest,
  JobStatus,
  LeaseRenewResponse,
  ReattachResponse,
  completeRequestSchema,
} from '@coord/runner-protocol';
import type { z } from 'zod';
import { reissueAssignment } from '../claims/claim.js';
import { ApiError } from '../errors.js';
import { iso } from '../util/ids.js';
import { requeueOrFail } from './jobs.js';
import { getRunner, touchRunner } from './runners.js';
import { forgetSecretAnswers } from './secret-answers.js';
import type { Store } from './store.js';
import { releaseUnreadAttempt } from './unread-attempts.js';
import { forgeHtmlUrl, isForgeCloneUrl, isForgePullUrl } from '../forge/urls.js';
import { attemptRow, jobRow, type AttemptRow, type JobRow } from './views.js';

type Completion = z.output<typeof completeRequestSchema>;

function lost(attemptId: string, why: string): ApiError {
  return new ApiError(409, 'lease.lost', `This runner no longer holds attempt ${attemptId}: ${why}`);
}

/** The attempt, which must exist and have been given to `runnerId` (of the calling account). */
export function ownAttempt(store: Store, accountId: string, runnerId: string, attemptId: string): AttemptRow {
  getRunner(store, runnerId, accountId);
  const attempt = attemptRow(store, attemptId);
  if (!attempt) throw new ApiError(404, 'attempt.not_found', `No attempt ${attemptId}`);
  if (attempt.runner_id !== runnerId) throw lost(attemptId, 'it belongs to another runner');
  return attempt;
}

/**
 * An attempt this runner may still write to: its own, and not given away after its lease expired.
 * Late writes after completion are welcome (the runner's spool may lag behind its report).
 */
export function writableAttempt(
  store: Store,
  accountId: string,
  runnerId: string,
  attemptId: string,
): AttemptRow {
  const attempt = ownAttempt(store, accountId, runnerId, attemptId);
  if (attempt.status === 'lost') throw lost(attemptId, 'its lease expired');
  return attempt;
}

/**
 * Extends the lease of an active attempt and hands back what people asked for since: cancel and
 * stop requests, and answered interactions. Everything pending is repeated on every renewal until
 * the attempt ends (the runner ignores what it has seen), so a lost response loses nothing.
 * A lease that expired but was not yet given away by the sweeper is still this runner's.
 */
export function renewLease(
  store: Store,
  accountId: string,
  runnerId: string,
  attemptId: string,
  state: string,
): LeaseRenewResponse {
  return store.tx(() => {
    const attempt = ownAttempt(store, accountId, runnerId, attemptId);
    if (attempt.status !== 'active') throw lost(attemptId, `the attempt is ${attempt.status}`);
    const leaseExpiresAt = Date.now() + store.timings.leaseTtlMs;
    store
      .sql('UPDATE attempts SET lease_expires_at = ?, runner_state = ? WHERE id = ?')
      .run(leaseExpiresAt, state, attemptId);
    touchRunner(store, runnerId);
    return { leaseExpiresAt: iso(leaseExpiresAt), controls: pendingControls(store, attemptId) };
  });
}

/**
 * A restarted runner takes up an attempt it still holds: the lease is renewed, and the assignment
 * is sent again with a new forge token (only its hash is stored, and the old one may have died
 * with the old process; it stops working now). A lost or ended attempt is `lease.lost`.
 */
export function reattachAttempt(
  store: Store,
  accountId: string,
  runnerId: string,
  attemptId: string,
): ReattachResponse {
  return store.tx(() => {
    const attempt = ownAttempt(store, accountId, runnerId, attemptId);
    if (attempt.status !== 'active') throw lost(attemptId, `the attempt is ${attempt.status}`);
    const assignment = reissueAssignment(store, jobRow(store, attempt.job_id)!, attempt);
    touchRunner(store, runnerId);
    return { assignment };
  });
}

function pendingControls(store: Store, attemptId: string): ControlRequest[] {
  const controls = (
    store.sql('SELECT payload FROM controls WHERE attempt_id = ? ORDER BY id').all(attemptId) as {
      payload: string;
    }[]
  ).map((r) => JSON.parse(r.payload) as ControlRequest);
  const answered = store
    .sql(
      'SELECT id, answer FROM interactions WHERE attempt_id = ? AND answer IS NOT NULL ORDER BY answered_at, id',
    )
    .all(attemptId) as { id: string; answer: string }[];
  for (const row of answered) {
    controls.push({ type: 'interaction.answered', interactionId: row.id, answer: JSON.parse(row.answer) });
  }
  return controls;
}

/**
 * Ends an attempt with the runner's outcome and moves the job on. Idempotent: the identical
 * request again gets the first answer; anything else on an ended attempt is `lease.lost`.
 */
export function completeAttempt(
  store: Store,
  accountId: string,
  runnerId: string,
  attemptId: string,
  req: Completion,
): CompleteResponse {
  const canonical = JSON.stringify(req);
  const answer = store.tx((): CompleteResponse => {
    const attempt = ownAttempt(store, accountId, runnerId, attemptId);
    if (attempt.completion !== null) {
      if (attempt.completion === canonical && attempt.completion_answer) {
        return JSON.parse(attempt.completion_answer) as CompleteResponse;
      }
      throw lost(attemptId, 'it was already completed with a different request');
    }
    if (attempt.status !== 'active') throw lost(attemptId, `the attempt is ${attempt.status}`);
    if (req.lastSeq > attempt.events_acked) {
      throw new ApiError(
        409,
        'events.gap',
        `The server holds events up to seq ${attempt.events_acked} of this attempt, not ${req.lastSeq}: upload the rest first`,
        { details: { ack: attempt.events_acked } },
      );
    }
    const job = jobRow(store, attempt.job_id)!;
    checkPullRequestUrl(store, job, req);
    const now = Date.now();
    store
      .sql(
        `UPDATE attempts SET status = @status, ended_at = @now, summary = @summary, pull_request = @pr, outputs = @outputs,
           usage = @usage, error = @error, session_id = coalesce(@session, session_id), last_seq = @lastSeq,
           completion = @completion
         WHERE id = @id`,
      )
      .run({
        id: attemptId,
        status: req.outcome,
        now,
        summary: req.summary,
        pr: req.pullRequest ? JSON.stringify(req.pullRequest) : null,
        outputs: req.outputs ? JSON.stringify(req.outputs) : null,
        usage: req.usage ? JSON.stringify(req.usage) : null,
        error: req.error ? JSON.stringify(req.error) : null,
        session: req.sessionId,
        lastSeq: req.lastSeq,
        completion: canonical,
      });

    let status: JobStatus;
    switch (req.outcome) {
      // Repository work goes to review (with a PR, or without one when nothing needed changing);
      // a local job's deliverable is its output files, so it is done either way.
      case 'succeeded':
      case 'no_changes':
        status = job.context_type === 'repository' ? 'awaiting_review' : 'done';
        // The revision is delivered: the feedback no longer waits for an attempt.
        store.sql('UPDATE jobs SET pending_feedback = NULL WHERE id = ?').run(job.id);
        break;
      case 'cancelled':
        status = 'cancelled';
        break;
      case 'failed':
        status = req.error?.retryable ? requeueOrFail(store, job.id, now, true) : 'failed';
        break;
      case 'stopped':
        status = requeueOrFail(store, job.id, now, false);
        break;
    }
    store.sql('UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?').run(status, now, job.id);
    forgetSecretAnswers(store, attemptId);
    const response: CompleteResponse = { job: { id: job.id, status } };
    store
      .sql('UPDATE attempts SET completion_answer = ? WHERE id = ?')
      .run(JSON.stringify(response), attemptId);
    return response;
  });
  // Wake parked claims: the job may be Ready again, and this runner has a free slot either way.
  store.notifyReady();
  return answer;
}

/**
 * The protocol already takes http(s) links only; a job on this server's own forge must point at
 * the forge's own page for that pull request, which is the only link the job pages will show.
 */
function checkPullRequestUrl(store: Store, job: JobRow, req: Completion): void {
  const pr = req.pullRequest;
  if (!pr || !job.clone_url || !job.repo_owner || !job.repo_name || !isForgeCloneUrl(store, job.clone_url))
    return;
  if (isForgePullUrl(store, pr.url, job.repo_owner, job.repo_name, pr.number)) return;
  const expected = `${forgeHtmlUrl(store, job.repo_owner, job.repo_name)}/pull/${pr.number}`;
  throw new ApiError(400, 'request.invalid', `Invalid request body: pullRequest.url must be ${expected}`, {
    issues: [{ path: 'pullRequest.url', message: `must be this forge's pull request URL ${expected}` }],
  });
}

/**
 * At startup: the runners could not renew while the server was down, so its downtime must not
 * count against them. Every lease still active was valid when the server stopped (the sweeper
 * runs every `sweepIntervalMs` while it is up), and gets a full TTL from now: a server outage
 * alone never requeues work a runner is still doing; a runner that died meanwhile is noticed one
 * TTL after the restart.
 */
export function resumeLeasesAfterRestart(store: Store, now = Date.now()): number {
  return store
    .sql("UPDATE attempts SET lease_expires_at = ? WHERE status = 'active' AND lease_expires_at < ?")
    .run(now + store.timings.leaseTtlMs, now + store.timings.leaseTtlMs).changes;
}

/**
 * A runner signing off listed every attempt it still holds: any other it was given is one whose
 * claim answer it never read (it stopped as the answer came). Each is ended `stopped` (that does
 * not use the job's retry budget) and its job is Ready again now, with no affinity to a runner
 * that is gone, rather than after its lease. Returns how many there were.
 */
export function releaseUnheldAttempts(
  store: Store,
  runnerId: string,
  holding: readonly string[],
  now = Date.now(),
): number {
  const held = new Set(holding);
  let requeued = false;
  const released = store.tx(() => {
    // One the runner read sent its claim event at once: one with events that is not on the list
    // (a runner that lost its spool) is left to its lease, as a killed runner's is.
    const unread = store
      .sql("SELECT id, job_id FROM attempts WHERE runner_id = ? AND status = 'active' AND events_acked = 0")
      .all(runnerId) as { id: string; job_id: string }[];
    const unheld = unread.filter((attempt) => !held.has(attempt.id));
    for (const attempt of unheld) {
      const why = 'The runner stopped before it began this attempt (its claim was never read)';
      if (releaseUnreadAttempt(store, { id: attempt.id, jobId: attempt.job_id }, why, now)) requeued = true;
    }
    return unheld.length;
  });
  if (requeued) store.notifyReady();
  return released;
}

/** Marks attempts whose lease ran out as lost and requeues (or fails) their jobs. */
export function sweepExpiredLeases(store: Store, now = Date.now()): number {
  let requeued = false;
  const count = store.tx(() => {
    const expired = store
      .sql(
        `SELECT a.id, a.job_id, a.runner_id, r.offline_at IS NOT NULL OR r.draining_at IS NOT NULL AS leaving
         FROM attempts a JOIN runners r ON r.id = a.runner_id
         WHERE a.status = 'active' AND a.lease_expires_at < ?`,
      )
      .all(now) as { id: string; job_id: string; runner_id: string; leaving: number }[];
    for (const attempt of expired) {
      store.sql("UPDATE attempts SET status = 'lost', ended_at = ? WHERE id = ?").run(now, attempt.id);
      forgetSecretAnswers(store, attempt.id);
      if (requeueOrFail(store, attempt.job_id, now, true) !== 'ready') continue;
      requeued = true;
      // A runner that said it stops or drains will not come back for it: no window held for it.
      if (attempt.leaving) continue;
      store
        .sql('UPDATE jobs SET affinity_runner = ?, affinity_until = ? WHERE id = ?')
        .run(attempt.runner_id, now + store.timings.affinityMs, attempt.job_id);
    }
    return expired.length;
  });
  if (requeued) {
    store.notifyReady();
    // Runners parked in a claim wait are woken again once the window has passed.
    setTimeout(() => {
      if (!store.closing.aborted) store.notifyReady();
    }, store.timings.affinityMs + 1).unref();
  }
  return count;
}
