import type { AssignmentEnvelope } from '@coord/runner-protocol';
import type { RunnerRow } from '../db/runners.js';
import type { Store } from '../db/store.js';
import { tryClaim } from './claim.js';
import type { WaiterQueue } from './waiters.js';

/**
 * Claims at once if something is eligible; otherwise parks until a job becomes Ready (and this
 * runner wins it), the wait runs out (null), or the client disconnects (null, nothing claimed).
 */
export function claimWithWait(
  store: Store,
  queue: WaiterQueue<AssignmentEnvelope>,
  runner: RunnerRow,
  waitMs: number,
  signal: AbortSignal,
  claimKey?: string,
): Promise<AssignmentEnvelope | null> {
  const now = tryClaim(store, runner, claimKey);
  if (now !== null || waitMs <= 0 || signal.aborted) return Promise.resolve(now);
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: AssignmentEnvelope | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      leave();
      resolve(result);
    };
    const onAbort = () => finish(null);
    const timer = setTimeout(() => finish(null), waitMs);
    const leave = queue.add({
      // A waiter whose client left must not claim: the job would sit In Progress with nobody on it.
      attempt: () => (done || signal.aborted ? null : tryClaim(store, runner, claimKey)),
      settle: finish,
      ...(claimKey === undefined ? {} : { key: `${runner.id} ${claimKey}` }),
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
