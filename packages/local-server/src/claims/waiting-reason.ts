import type { DetectedAgent, JobWaiting } from '@coord/runner-protocol';
import type { Store } from '../db/store.js';
import type { JobRow } from '../db/views.js';
import { parseJson } from '../util/ids.js';
import { isOnline } from '../db/runners.js';
import { CLAIMABLE, claimParams } from './claim.js';

interface CandidateRow {
  id: string;
  account_id: string;
  name: string;
  capacity: number;
  agents: string;
  eligible_agents: string;
  last_seen_at: number;
  offline_at: number | null;
  draining_at: number | null;
  active: number;
}

/**
 * Runners the job's routing lets take it, with what a claim checks: the same rules as the claim
 * query (claim.ts), turned around to start from the job.
 */
const CANDIDATES = `
  SELECT r.id, r.account_id, r.name, r.capacity, r.agents, r.eligible_agents, r.last_seen_at, r.offline_at, r.draining_at,
    (SELECT count(*) FROM attempts a WHERE a.runner_id = r.id AND a.status = 'active') AS active
  FROM runners r
  WHERE @mode = 'any'
    OR (EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = @workspace AND m.account_id = r.account_id)
        AND (@mode = 'team'
             OR (@mode = 'mine' AND r.account_id = @submitter)
             OR (@mode = 'runner' AND r.name = @runnerName)))`;

/**
 * How long after its last call a runner still counts as online: an idle runner calls at least
 * once per claim long poll, a busy one once per lease renewal.
 */
export function onlineWindowMs(store: Store): number {
  return 2 * Math.max(store.timings.claimWaitMs, store.timings.leaseRenewMs) + 5_000;
}

const routingWords: Record<string, string> = {
  mine: "the submitter's own runners",
  team: "the workspace's runners",
  any: 'any runner',
};

/** What one job's reason needs from the last step: its free runners, or the whole answer. */
type Verdict = { done: JobWaiting } | { free: CandidateRow[]; named: (rows: CandidateRow[]) => string };

/**
 * Why a Ready job has not been taken, in the order a person would check: is any runner allowed
 * to take it, is one online, does one have its agent, is one free. `viewer` sees the names and
 * agent hints of its own runners only; other accounts' runners are counted, never named.
 */
export function waitingReason(store: Store, job: JobRow, viewer: string, now = Date.now()): JobWaiting {
  return waitingReasons(store, [{ job, viewer }], now)[0]!;
}

/**
 * `waitingReason` for many jobs at once (a board, or a Backlog made Ready in one go). Runners
 * are read once per routing, and each free runner's queue is walked once for all the jobs in
 * it: counting the queue ahead of each job at each runner was quadratic, and a burst of 2,000
 * Ready jobs kept the server from answering claims for most of a minute.
 */
export function waitingReasons(
  store: Store,
  jobs: readonly { job: JobRow; viewer: string }[],
  now = Date.now(),
): JobWaiting[] {
  const candidatesByRouting = new Map<string, CandidateRow[]>();
  const partials = jobs.map(({ job, viewer }) => {
    const key = JSON.stringify([job.routing_mode, job.workspace_id, job.submitted_by, job.routing_runner]);
    let candidates = candidatesByRouting.get(key);
    if (!candidates) {
      candidates = store.sql(CANDIDATES).all({
        mode: job.routing_mode,
        workspace: job.workspace_id,
        submitter: job.submitted_by,
        runnerName: job.routing_runner,
      }) as CandidateRow[];
      candidatesByRouting.set(key, candidates);
    }
    return untilQueued(store, job, viewer, candidates, now);
  });

  // Each free runner's queue, walked once in claim order up to the last job asked about.
  const asked = new Map<string, { runner: CandidateRow; jobs: JobRow[] }>();
  partials.forEach((partial, i) => {
    if ('done' in partial) return;
    for (const runner of partial.free) {
      const entry = asked.get(runner.id) ?? { runner, jobs: [] };
      entry.jobs.push(jobs[i]!.job);
      asked.set(runner.id, entry);
    }
  });
  const aheadAt = new Map<string, Map<string, number>>();
  for (const [runnerId, { runner, jobs: wanted }] of asked) {
    aheadAt.set(runnerId, queuePositions(store, runner, wanted, now));
  }

  return partials.map((partial, i) => {
    if ('done' in partial) return partial.done;
    const job = jobs[i]!.job;
    const ahead = Math.min(...partial.free.map((r) => aheadAt.get(r.id)!.get(job.id)!));
    return {
      code: 'queued',
      message:
        ahead > 0
          ? `Waiting its turn: ${ahead} Ready job${ahead === 1 ? '' : 's'} that the same runners can take came first.`
          : `A runner can take it now (${partial.named(partial.free)}); it is claimed at that runner's next claim.`,
    };
  });
}

/** Every reason but `queued`, or the free runners among which the job waits its turn. */
function untilQueued(
  store: Store,
  job: JobRow,
  viewer: string,
  candidates: CandidateRow[],
  now: number,
): Verdict {
  const routing =
    job.routing_mode === 'runner'
      ? `the runner named "${job.routing_runner}"`
      : routingWords[job.routing_mode];
  /** Own runners by name (with `detail`), the others only counted. */
  const named = (rows: CandidateRow[], detail: (r: CandidateRow) => string = () => '') => {
    const own = rows.filter((r) => r.account_id === viewer).map((r) => `"${r.name}"${detail(r)}`);
    const others = rows.length - own.length;
    return [...own, ...(others > 0 ? [`${others} other runner${others === 1 ? '' : 's'}`] : [])].join('; ');
  };

  if (candidates.length === 0) {
    return {
      done: {
        code: 'no_runner',
        message: `No runner may take it: it is routed to ${routing}, and none is registered. Start one with \`coord-runner start\`.`,
      },
    };
  }
  if (job.affinity_runner && job.affinity_until !== null && job.affinity_until > now) {
    const held = candidates.find((r) => r.id === job.affinity_runner);
    const whom = held && held.account_id === viewer ? `the runner "${held.name}"` : 'the runner';
    return {
      done: {
        code: 'affinity',
        message: `Held for ${whom} that lost it, so that runner can resume the agent's session in its own work directory, until ${new Date(job.affinity_until).toISOString()}; then any runner it is routed to can take it.`,
      },
    };
  }
  const online = candidates.filter((r) => isOnline(r, onlineWindowMs(store), now));
  if (online.length === 0) {
    return {
      done: {
        code: 'runner_offline',
        message: `It is routed to ${routing}, and none of them is online (${named(candidates)}).`,
      },
    };
  }
  const withAgent = online.filter((r) => parseJson<string[]>(r.eligible_agents)?.includes(job.agent_id));
  if (withAgent.length === 0) {
    const agentState = (r: CandidateRow) => {
      const agent = parseJson<DetectedAgent[]>(r.agents)?.find((a) => a.id === job.agent_id);
      if (!agent) return ': does not know it';
      const state = agent.state === 'detected' ? 'disabled' : agent.state.replace('_', ' ');
      return `: ${state}${agent.hint ? ` (${agent.hint})` : ''}`;
    };
    return {
      done: {
        code: 'agent_unavailable',
        message: `Its agent "${job.agent_id}" is not enabled on any online runner it is routed to (${named(online, agentState)}).`,
      },
    };
  }
  // A draining runner finishes its jobs and claims no more: it is as good as full.
  const free = withAgent.filter((r) => r.draining_at === null && r.active < r.capacity);
  if (free.length === 0) {
    const draining = withAgent.some((r) => r.draining_at !== null);
    const state = (r: CandidateRow) => (r.draining_at !== null ? ': draining' : '');
    return {
      done: {
        code: 'runners_busy',
        message: draining
          ? `Every runner that can take it is busy or draining (${named(withAgent, state)}); it runs when one takes jobs again.`
          : `Every runner that can take it is busy (${named(withAgent)}); it runs when one is free.`,
      },
    };
  }
  return { free, named };
}

/**
 * How many Ready jobs `runner` may take come before each of `wanted` in its claim order (the
 * claim query's ORDER BY): one walk of its queue, stopped after the last of them.
 */
function queuePositions(
  store: Store,
  runner: CandidateRow,
  wanted: JobRow[],
  now: number,
): Map<string, number> {
  const before = (a: { ready_at: number; seq: number }, b: JobRow) =>
    a.ready_at < b.ready_at! || (a.ready_at === b.ready_at && a.seq < b.seq);
  const targets = [...wanted].sort((a, b) => a.ready_at! - b.ready_at! || a.seq - b.seq);
  const positions = new Map<string, number>();
  let next = 0;
  let count = 0;
  const queue = store.sql(
    `SELECT j.ready_at, j.seq FROM jobs j WHERE ${CLAIMABLE} AND j.ready_at IS NOT NULL ORDER BY j.ready_at, j.seq`,
  );
  for (const row of queue.iterate(claimParams(runner, now)) as Iterable<{ ready_at: number; seq: number }>) {
    while (next < targets.length && !before(row, targets[next]!)) positions.set(targets[next++]!.id, count);
    if (next === targets.length) break;
    count += 1;
  }
  while (next < targets.length) positions.set(targets[next++]!.id, count);
  return positions;
}
