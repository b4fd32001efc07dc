import { CoordError, isCoordError, toErrorPayload } from '../errors.js';
import { backoffDelayMs, serverBackoff } from '../retry.js';
import { isoTime } from '../events/iso-time.js';
import type { RunnerEvent } from '../events/runner-event.js';
import type { EventSpool, UnfinishedAttempt } from '../store/event-spool.js';
import { restartDecision, type RestartDecision } from './checkpoint.js';
import { completionRequest, type DeliverCompletion, type FinishedData } from './completion.js';
import type { EventUploader } from './event-uploader.js';
import type { Clock } from './ports.js';
import { delay } from './stop-grace.js';

export interface RecoveryOptions {
  spool: EventSpool;
  clock: Clock;
  /** An uploader for a left attempt's spooled events; `onLeaseLost` when the server refuses them. */
  uploaderFor(attemptId: string, onLeaseLost: (error: unknown) => void): EventUploader;
  deliver: DeliverCompletion;
  emit(event: RunnerEvent): void;
  reportError(error: unknown): void;
  isStopping(): boolean;
  /** Resolves when the runner begins to stop: a wait to ask the server again ends then. */
  stopped: Promise<void>;
  isActive(attemptId: string): boolean;
  /** Asks the server for the attempt again (its lease renewed): the raw assignment, or a refusal. */
  reattach(attemptId: string): Promise<unknown>;
  /**
   * Starts the attempt again at its checkpoint with the assignment the server sent; false when the
   * assignment cannot be used (then the attempt is reported instead).
   */
  resume(raw: unknown, decision: Extract<RestartDecision, { kind: 'reattach' }>): boolean;
}

/**
 * Attempts an earlier run of this runner began and never reported (it crashed or was killed).
 * One whose checkpoint can be resumed and whose lease the server says still holds is taken up
 * again where it was (DESIGN.md section 5): same attempt and work dir, the agent session resumed,
 * the events' seq continued. Any other is reported failed and retryable after what the spool
 * still holds: the job is requeued now, not when its lease expires. If the attempt had already
 * finished, its report is sent again (completion is idempotent).
 */
export async function recoverUnfinished(options: RecoveryOptions): Promise<void> {
  for (const attempt of options.spool.unfinished()) {
    if (options.isStopping()) return;
    if (options.isActive(attempt.attemptId)) continue;
    await recoverAttempt(attempt, options).catch(options.reportError);
  }
}

/**
 * The attempt is taken up again (`null`); or why not, for its report; or `stopped`: the runner
 * stopped before the server answered, and the attempt is left as it is for the next start.
 */
async function tryReattach(
  attempt: UnfinishedAttempt,
  options: RecoveryOptions,
): Promise<string | null | typeof STOPPED> {
  const decision = restartDecision(attempt.checkpoint, options.spool.lastSeq(attempt.attemptId));
  if (decision.kind === 'report') return decision.reason;
  let raw: unknown;
  for (let failures = 1; ; failures += 1) {
    try {
      raw = await options.reattach(attempt.attemptId);
      break;
    } catch (error) {
      // Gone (the lease expired) or refused: the report below says it ended; the job is requeued.
      if (!isCoordError(error) || !error.retryable)
        return `the server did not give it back (${toErrorPayload(error).message})`;
      // Unreachable: only the server can say whether the lease still holds, so ask again.
      options.reportError(error);
      const wait = delay(options.clock, backoffDelayMs(serverBackoff, failures, options.clock.random));
      const waited = await Promise.race([wait.expired, options.stopped.then(() => STOPPED)]);
      wait.cancel();
      if (waited === STOPPED || options.isStopping()) return STOPPED;
    }
  }
  return options.resume(raw, decision) ? null : 'the server sent an assignment this runner cannot read';
}

const STOPPED = Symbol('stopped');

async function recoverAttempt(attempt: UnfinishedAttempt, options: RecoveryOptions): Promise<void> {
  const { spool, clock } = options;
  const { attemptId, jobId } = attempt;
  const lastSeq = spool.lastSeq(attemptId);
  const last = lastSeq > 0 ? spool.read(attemptId, lastSeq - 1, 1)[0] : undefined;
  let finished: FinishedData;
  if (last?.type === 'job.finished') {
    finished = last.data as unknown as FinishedData;
  } else {
    const notReattached = await tryReattach(attempt, options);
    if (notReattached === null || notReattached === STOPPED) return;
    finished = interrupted(notReattached);
    const at = clock.now();
    spool.append(attemptId, { type: 'job.finished', at: isoTime(at), data: { ...finished } });
    options.emit({ type: 'job.finished', at, jobId, attemptId, ...finished });
  }

  // A permanent refusal finishes the attempt here, and people are told why (once).
  let told = false;
  const refused = (error: unknown) => {
    if (!told) options.reportError(refusedAttempt(attemptId, error));
    told = true;
  };
  const target = {
    attemptId,
    leaseLost: false,
    uploader: options.uploaderFor(attemptId, (error) => {
      target.leaseLost = true;
      refused(error);
    }),
  };
  try {
    target.uploader.notify();
    await options.deliver(target, completionRequest(finished, spool.lastSeq(attemptId)), {
      stopWithRunner: true,
      onGone: refused,
    });
  } finally {
    target.uploader.stop();
  }
}

/** The report of an attempt whose run was cut off and not taken up again: failed, and worth another attempt. */
function interrupted(why: string): FinishedData {
  return {
    outcome: 'failed',
    summary: '',
    pullRequest: null,
    outputs: null,
    usage: null,
    sessionId: null,
    error: {
      code: 'runner.restarted',
      message: `The runner stopped while this attempt was running (a crash or a kill) and could not take it up again: ${why}. The job is requeued and the next attempt resumes the agent session.`,
      retryable: true,
    },
  };
}

/** Why a recovered attempt was finished locally, for the runner.error people see. */
function refusedAttempt(attemptId: string, cause: unknown): CoordError {
  return new CoordError(
    'attempt.refused',
    `The server refuses attempt ${attemptId} left by an earlier run (${toErrorPayload(cause).message}): it is finished here and its report is dropped.`,
    { cause },
  );
}
