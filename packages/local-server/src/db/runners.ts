import type { DetectedAgent, registerRunnerRequestSchema, RunnerPresence } from '@coord/runner-protocol';
import type { z } from 'zod';
import { ApiError } from '../errors.js';
import { newId } from '../util/ids.js';
import type { Store } from './store.js';

export interface RunnerRow {
  id: string;
  account_id: string;
  name: string;
  capacity: number;
  /** JSON array of agent ids that are detected and enabled: the ones a claim may match. */
  eligible_agents: string;
  /** Set while the runner drains (it said so as it began stopping); read by getRunner. */
  draining_at?: number | null;
}

type Registration = z.output<typeof registerRunnerRequestSchema>;

/** Keyed by (account, machineId): a restarted runner gets its id back, with its details refreshed. */
export function registerRunner(store: Store, accountId: string, req: Registration): RunnerRow {
  const eligible = req.agents
    .filter((a: DetectedAgent) => a.state === 'detected' && a.enabled)
    .map((a) => a.id);
  const now = Date.now();
  return store.tx(() => {
    const existing = store
      .sql('SELECT id FROM runners WHERE account_id = ? AND machine_id = ?')
      .get(accountId, req.machineId) as { id: string } | undefined;
    const id = existing?.id ?? newId('run');
    store
      .sql(
        `INSERT INTO runners (id, account_id, machine_id, name, platform, arch, version, agents, eligible_agents,
           capacity, labels, registered_at, last_seen_at)
         VALUES (@id, @account, @machine, @name, @platform, @arch, @version, @agents, @eligible, @capacity, @labels, @now, @now)
         ON CONFLICT (id) DO UPDATE SET name = @name, platform = @platform, arch = @arch, version = @version,
           agents = @agents, eligible_agents = @eligible, capacity = @capacity, labels = @labels, last_seen_at = @now,
           draining_at = NULL, offline_at = NULL`,
      )
      .run({
        id,
        account: accountId,
        machine: req.machineId,
        name: req.name,
        platform: req.platform,
        arch: req.arch,
        version: req.version,
        agents: JSON.stringify(req.agents),
        eligible: JSON.stringify(eligible),
        capacity: req.capacity,
        labels: JSON.stringify(req.labels),
        now,
      });
    return getRunner(store, id, accountId);
  });
}

/** The runner, which must belong to the calling account. */
export function getRunner(store: Store, runnerId: string, accountId: string): RunnerRow {
  const row = store
    .sql('SELECT id, account_id, name, capacity, eligible_agents, draining_at FROM runners WHERE id = ?')
    .get(runnerId) as RunnerRow | undefined;
  if (!row || row.account_id !== accountId)
    throw new ApiError(404, 'runner.not_found', `No runner ${runnerId} for this account`);
  return row;
}

/** Records a call from the runner (claim, lease renewal): waiting reasons count it as online. */
const lastTouched = new WeakMap<Store, Map<string, number>>();
/** How stale `last_seen_at` may get: "online" is judged over a window of many seconds. */
const TOUCH_EVERY_MS = 1000;

/**
 * Notes that a runner was heard from. Every request of a runner calls this, and each write is a
 * commit (an fsync): it is written at most once a second per runner.
 */
export function touchRunner(store: Store, runnerId: string, now = Date.now()): void {
  let touched = lastTouched.get(store);
  if (!touched) lastTouched.set(store, (touched = new Map()));
  if (now - (touched.get(runnerId) ?? 0) < TOUCH_EVERY_MS) return;
  touched.set(runnerId, now);
  store.sql('UPDATE runners SET last_seen_at = ?, offline_at = NULL WHERE id = ?').run(now, runnerId);
}

/**
 * What a stopping runner said of itself, so that "why isn't my job running?" and the runners page
 * do not count on a runner that takes no more work: `offline` (gone; its next call counts it
 * online again, written whatever the touch interval) or `draining` (until its next claim).
 */
export function setRunnerPresence(
  store: Store,
  runnerId: string,
  presence: RunnerPresence,
  now = Date.now(),
): void {
  if (presence === 'draining') {
    store.sql('UPDATE runners SET draining_at = ? WHERE id = ?').run(now, runnerId);
    return;
  }
  lastTouched.get(store)?.delete(runnerId);
  store.sql('UPDATE runners SET offline_at = ? WHERE id = ?').run(now, runnerId);
}

/** A claim from a runner that said it drains: it takes work again (that drain is over). */
export function endDrain(store: Store, runnerId: string): void {
  store.sql('UPDATE runners SET draining_at = NULL WHERE id = ?').run(runnerId);
}

/** Online: heard from within `windowMs`, and not signed off since. */
export function isOnline(
  runner: { last_seen_at: number; offline_at: number | null },
  windowMs: number,
  now: number,
): boolean {
  return runner.offline_at === null && now - runner.last_seen_at <= windowMs;
}

/** A runner as the web app's runners page shows it. */
export interface RunnerSummary {
  id: string;
  name: string;
  platform: string;
  arch: string;
  version: string;
  agents: DetectedAgent[];
  capacity: number;
  labels: string[];
  lastSeenAt: string;
  online: boolean;
  /** Online, finishing its jobs, claiming no more. */
  draining: boolean;
  /** The attempts it holds now. */
  running: { attemptId: string; jobId: string; title: string; number: number }[];
}

/** The account's runners, most recently seen first; `online` uses the waiting reasons' window. */
export function listRunners(
  store: Store,
  accountId: string,
  onlineWithinMs: number,
  now = Date.now(),
): RunnerSummary[] {
  const rows = store
    .sql('SELECT * FROM runners WHERE account_id = ? ORDER BY last_seen_at DESC')
    .all(accountId) as (RunnerRow & {
    platform: string;
    arch: string;
    version: string;
    agents: string;
    labels: string;
    last_seen_at: number;
    offline_at: number | null;
    draining_at: number | null;
  })[];
  const running = store.sql(
    `SELECT a.id AS attemptId, a.job_id AS jobId, a.number, j.spec FROM attempts a JOIN jobs j ON j.id = a.job_id
     WHERE a.runner_id = ? AND a.status = 'active' ORDER BY a.started_at`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    platform: r.platform,
    arch: r.arch,
    version: r.version,
    agents: JSON.parse(r.agents) as DetectedAgent[],
    capacity: r.capacity,
    labels: JSON.parse(r.labels) as string[],
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
    online: isOnline(r, onlineWithinMs, now),
    draining: isOnline(r, onlineWithinMs, now) && r.draining_at !== null,
    running: (running.all(r.id) as { attemptId: string; jobId: string; number: number; spec: string }[]).map(
      (a) => ({
        attemptId: a.attemptId,
        jobId: a.jobId,
        number: a.number,
        title: String((JSON.parse(a.spec) as { title?: unknown }).title ?? ''),
      }),
    ),
  }));
}
