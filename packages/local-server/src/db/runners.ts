import type { DetectedAgent, registerRunnerRequestSchema } from '@coord/runner-protocol';
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
}

type Registration = z.output<typeof registerRunnerRequestSchema>;

/** Keyed by (account, machineId): a restarted runner gets its id back, with its details refreshed. */
export function registerRunner(store: Store, accountId: string, req: Registration): RunnerRow {
  const eligible = req.agents
    .filter((a: DetectedAgent) => a.state === 'detected' && a.enabled)
    .map((a) => a.id);
  const now = Date.now();
  return store.tx(() => {
    const existing = store.db
      .prepare('SELECT id FROM runners WHERE account_id = ? AND machine_id = ?')
      .get(accountId, req.machineId) as { id: string } | undefined;
    const id = existing?.id ?? newId('run');
    store.db
      .prepare(
        `INSERT INTO runners (id, account_id, machine_id, name, platform, arch, version, agents, eligible_agents,
           capacity, labels, registered_at, last_seen_at)
         VALUES (@id, @account, @machine, @name, @platform, @arch, @version, @agents, @eligible, @capacity, @labels, @now, @now)
         ON CONFLICT (id) DO UPDATE SET name = @name, platform = @platform, arch = @arch, version = @version,
           agents = @agents, eligible_agents = @eligible, capacity = @capacity, labels = @labels, last_seen_at = @now`,
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
  const row = store.db
    .prepare('SELECT id, account_id, name, capacity, eligible_agents FROM runners WHERE id = ?')
    .get(runnerId) as RunnerRow | undefined;
  if (!row || row.account_id !== accountId)
    throw new ApiError(404, 'runner.not_found', `No runner ${runnerId} for this account`);
  return row;
}

/** Records a call from the runner (claim, lease renewal): waiting reasons count it as online. */
export function touchRunner(store: Store, runnerId: string): void {
  store.db.prepare('UPDATE runners SET last_seen_at = ? WHERE id = ?').run(Date.now(), runnerId);
}
