import type { AssignmentEnvelope } from '@coord/runner-protocol';
import type { RunnerRow } from '../db/runners.js';
import type { Store } from '../db/store.js';
import type { JobRow } from '../db/views.js';
import { forgeApiBase, isForgeCloneUrl, jobPageUrl } from '../forge/urls.js';
import { releaseUnreadAttempt } from '../db/unread-attempts.js';
import { hashToken, iso, newId, newToken, parseJson } from '../util/ids.js';

/**
 * Which Ready jobs a runner may take. Membership of the job's workspace is required except for
 * `any` routing (any runner at all); `mine` also needs the submitter to be the runner's account,
 * `runner` a matching name. The agent must be detected and enabled on the runner, and a job in
 * another runner's affinity window waits for it. Parameters: @agents (JSON array), @account,
 * @name, @runner (its id), @now.
 */
export const CLAIMABLE = `
  j.status = 'ready'
    AND j.agent_id IN (SELECT value FROM json_each(@agents))
    AND (j.affinity_until IS NULL OR j.affinity_until <= @now OR j.affinity_runner = @runner)
    AND (
      j.routing_mode = 'any'
      OR (EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = j.workspace_id AND m.account_id = @account)
          AND (j.routing_mode = 'team'
               OR (j.routing_mode = 'mine' AND j.submitted_by = @account)
               OR (j.routing_mode = 'runner' AND j.routing_runner = @name)))
    )`;

/** A stored attempt error as one line for the next attempt's prompt. */
function errorLine(stored: string | null): string | null {
  const error = parseJson<{ code: string; message: string }>(stored);
  return error ? `${error.code}: ${error.message}`.slice(0, 2000) : null;
}

/** The oldest Ready job this runner may take. */
const PICK = `SELECT j.* FROM jobs j WHERE ${CLAIMABLE} ORDER BY j.ready_at, j.seq LIMIT 1`;
/**
 * The oldest job held for this runner in its affinity window: taken before any other. Looked up
 * by its affinity index: left to itself SQLite walks every Ready job in order (the ORDER BY's
 * index), which made each claim cost in proportion to the Ready queue.
 */
const PICK_OWN = `SELECT j.* FROM jobs j INDEXED BY jobs_by_affinity
  WHERE j.affinity_runner = @runner AND j.affinity_until > @now AND ${CLAIMABLE}
  ORDER BY j.ready_at, j.seq LIMIT 1`;

/** The parameters of CLAIMABLE for `runner`. */
export function claimParams(runner: RunnerRow, now: number) {
  return {
    agents: runner.eligible_agents,
    account: runner.account_id,
    name: runner.name,
    runner: runner.id,
    now,
  };
}

/**
 * A forge token for the job's repository on this server's own forge (null for any other remote).
 * Only its hash is stored: a runner that lost it (a restart) is given a new one, never the old.
 */
export function mintForgeToken(store: Store, job: JobRow): string | null {
  if (!job.repo_owner || !job.repo_name || !job.clone_url || !isForgeCloneUrl(store, job.clone_url))
    return null;
  const exists = store
    .sql('SELECT 1 FROM repos WHERE owner = ? AND name = ?')
    .get(job.repo_owner, job.repo_name);
  return exists ? newToken('coordfa') : null;
}

/**
 * What a runner is given for one attempt: the attempt, what the job's earlier attempts left (their
 * session to resume, their branch, their outcomes for the prompt), the job, and forge credentials.
 * Built the same way for a claim and for a restarted runner reattaching to the attempt.
 */
export function assignmentFor(
  store: Store,
  job: JobRow,
  attempt: { id: string; number: number; leaseExpiresAt: number; feedback: string | null },
  forgeToken: string | null,
): AssignmentEnvelope {
  const previous = store
    .sql(
      'SELECT number, status, summary, error, session_id, pull_request, feedback FROM attempts WHERE job_id = ? AND number < ? ORDER BY number DESC',
    )
    .all(job.id, attempt.number) as {
    number: number;
    status: string;
    summary: string | null;
    error: string | null;
    session_id: string | null;
    pull_request: string | null;
    feedback: string | null;
  }[];
  const previousSessionId = previous.find((a) => a.session_id !== null)?.session_id ?? null;
  const pr = previous.find((a) => a.pull_request !== null);
  const branch = pr ? (parseJson<{ branch: string }>(pr.pull_request)?.branch ?? null) : null;
  return {
    attempt: {
      id: attempt.id,
      jobId: job.id,
      workspaceId: job.workspace_id,
      number: attempt.number,
      leaseExpiresAt: iso(attempt.leaseExpiresAt),
      previousSessionId,
      branch,
      earlier: previous
        .slice(0, 20)
        .reverse()
        .map((a) => ({
          number: a.number,
          status: a.status,
          summary: a.summary?.slice(0, 4000) ?? null,
          error: errorLine(a.error),
          feedback: a.feedback?.slice(0, 2000) ?? null,
        })),
      feedback: attempt.feedback,
    },
    job: { id: job.id, spec: JSON.parse(job.spec) as unknown, webUrl: jobPageUrl(store, job.id) },
    forge: forgeToken ? { apiBaseUrl: forgeApiBase(store), token: forgeToken } : null,
  };
}

/** What sending an attempt's assignment again needs of it (columns of `attempts`). */
export interface HeldAttempt {
  id: string;
  number: number;
  feedback: string | null;
  forge_token_hash: string | null;
}

/**
 * The assignment of an attempt its runner still holds, sent again: the lease renewed, and a new
 * forge token if it had one (only hashes are stored: the old token stops working). For a restarted
 * runner's reattach and for a claim retried after its answer was lost. Runs in the caller's
 * transaction.
 */
export function reissueAssignment(store: Store, job: JobRow, attempt: HeldAttempt): AssignmentEnvelope {
  const leaseExpiresAt = Date.now() + store.timings.leaseTtlMs;
  const forgeToken = attempt.forge_token_hash === null ? null : mintForgeToken(store, job);
  store
    .sql('UPDATE attempts SET lease_expires_at = ?, forge_token_hash = ? WHERE id = ?')
    .run(leaseExpiresAt, forgeToken ? hashToken(forgeToken) : null, attempt.id);
  return assignmentFor(
    store,
    job,
    { id: attempt.id, number: attempt.number, leaseExpiresAt, feedback: attempt.feedback },
    forgeToken,
  );
}

/** The runner's active attempt made by the claim with this key, with its job's columns. */
const CLAIMED_WITH_KEY = `SELECT j.*, a.id AS attempt_id, a.number AS attempt_number,
    a.feedback AS attempt_feedback, a.forge_token_hash AS attempt_forge_token_hash
  FROM attempts a JOIN jobs j ON j.id = a.job_id
  WHERE a.runner_id = ? AND a.claim_key = ? AND a.status = 'active'`;

/**
 * One atomic transition: Ready -> In Progress, a new attempt with a lease, the runner recorded.
 * Runs in an IMMEDIATE transaction, so two claims (even from two processes) cannot pick the same job.
 * A claim retried with the key of one whose answer was lost gets that one's attempt again.
 */
export function tryClaim(store: Store, runner: RunnerRow, claimKey?: string): AssignmentEnvelope | null {
  let requeued = false;
  const result = store.tx(() => {
    if (claimKey !== undefined) {
      const held = store.sql(CLAIMED_WITH_KEY).get(runner.id, claimKey) as
        | (JobRow & {
            attempt_id: string;
            attempt_number: number;
            attempt_feedback: string | null;
            attempt_forge_token_hash: string | null;
          })
        | undefined;
      // Its slot is already counted: the capacity check is not for it.
      if (held && asksFor(runner, held.agent_id)) {
        return reissueAssignment(store, held, {
          id: held.attempt_id,
          number: held.attempt_number,
          feedback: held.attempt_feedback,
          forge_token_hash: held.attempt_forge_token_hash,
        });
      }
      // The retry no longer asks for that agent (the runner reached its limit for it meanwhile):
      // the job goes back rather than over that limit, and this claim goes on as a new one.
      if (held) {
        const why = `The runner's claim was retried without ${held.agent_id} (at its limit): the job went back`;
        if (releaseUnreadAttempt(store, { id: held.attempt_id, jobId: held.id }, why)) requeued = true;
      }
    }
    const active = (
      store
        .sql("SELECT count(*) AS n FROM attempts WHERE runner_id = ? AND status = 'active'")
        .get(runner.id) as {
        n: number;
      }
    ).n;
    if (active >= runner.capacity) return null;
    const now = Date.now();
    const params = claimParams(runner, now);
    const job = (store.sql(PICK_OWN).get(params) ?? store.sql(PICK).get(params)) as JobRow | undefined;
    if (!job) return null;

    const leaseExpiresAt = now + store.timings.leaseTtlMs;
    const last = store.sql('SELECT max(number) AS n FROM attempts WHERE job_id = ?').get(job.id) as {
      n: number | null;
    };
    const number = (last.n ?? 0) + 1;
    const forgeToken = mintForgeToken(store, job);
    const attemptId = newId('att');
    store
      .sql(
        `INSERT INTO attempts (id, job_id, number, runner_id, status, started_at, lease_expires_at, forge_token_hash, feedback, claim_key)
         VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
      )
      .run(
        attemptId,
        job.id,
        number,
        runner.id,
        now,
        leaseExpiresAt,
        forgeToken ? hashToken(forgeToken) : null,
        job.pending_feedback,
        claimKey ?? null,
      );
    store
      .sql(
        "UPDATE jobs SET status = 'in_progress', affinity_runner = NULL, affinity_until = NULL, updated_at = ? WHERE id = ?",
      )
      .run(now, job.id);

    return assignmentFor(
      store,
      job,
      { id: attemptId, number, leaseExpiresAt, feedback: job.pending_feedback },
      forgeToken,
    );
  });
  if (requeued) store.notifyReady();
  return result;
}

/** Whether this claim asks for the agent (its request may leave out an agent at its limit). */
function asksFor(runner: RunnerRow, agentId: string): boolean {
  return (JSON.parse(runner.eligible_agents) as string[]).includes(agentId);
}
