import { CoordError, toErrorPayload } from '../errors.js';
import type { RunnerEvent } from '../events/runner-event.js';
import type { EventSpool, SpooledAttempt } from '../store/event-spool.js';
import { completionRequest, type DeliverCompletion, type FinishedData } from './completion.js';
import type { EventUploader } from './event-uploader.js';
import type { Clock } from './ports.js';

export interface RecoveryOptions {
  spool: EventSpool;
  clock: Clock;
  /** An uploader for a left attempt's spooled events; `onLeaseLost` when the server refuses them. */
  uploaderFor(attemptId: string, onLeaseLost: (error: unknown) => void): EventUploader;
  deliver: DeliverCompletion;
  emit(event: RunnerEvent): void;
  reportError(error: unknown): void;
  isStopping(): boolean;
  isActive(attemptId: string): boolean;
}

/**
 * Attempts an earlier run of this runner began and never reported (it crashed or was killed).
 * Their agent is gone from this process, so the runner uploads what the spool still holds and
 * reports them failed and retryable: the job is requeued now, not when its lease expires, and the
 * next attempt resumes the agent session. If the attempt had already finished, its report is sent
 * again (completion is idempotent). Reattaching to live work belongs to the job lifecycle.
 */
export async function recoverUnfinished(options: RecoveryOptions): Promise<void> {
  for (const attempt of options.spool.unfinished()) {
    if (options.isStopping()) return;
    if (options.isActive(attempt.attemptId)) continue;
    await recoverAttempt(attempt, options).catch(options.reportError);
  }
}

async function recoverAttempt(attempt: SpooledAttempt, options: RecoveryOptions): Promise<void> {
  const { spool, clock } = options;
  const { attemptId, jobId } = attempt;
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
    const lastSeq = spool.lastSeq(attemptId);
    const last = lastSeq > 0 ? spool.read(attemptId, lastSeq - 1, 1)[0] : undefined;
    let finished: FinishedData;
    if (last?.type === 'job.finished') {
      finished = last.data as unknown as FinishedData;
    } else {
      finished = interrupted();
      const at = clock.now();
      spool.append(attemptId, {
        type: 'job.finished',
        at: new Date(at).toISOString(),
        data: { ...finished },
      });
      options.emit({ type: 'job.finished', at, jobId, attemptId, ...finished });
    }
    target.uploader.notify();
    await options.deliver(target, completionRequest(finished, spool.lastSeq(attemptId)), {
      stopWithRunner: true,
      onGone: refused,
    });
  } finally {
    target.uploader.stop();
  }
}

/** The report of an attempt whose run was cut off: failed, and worth another attempt. */
function interrupted(): FinishedData {
  return {
    outcome: 'failed',
    summary: '',
    pullRequest: null,
    outputs: null,
    usage: null,
    sessionId: null,
    error: {
      code: 'runner.restarted',
      message:
        'The runner stopped while this attempt was running (a crash or a kill); the job is requeued and the next attempt resumes the agent session.',
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
