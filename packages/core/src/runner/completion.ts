import type { CompleteRequest } from '@coord/runner-protocol';
import { isApiError } from '../client/api-error.js';
import type { CoordClient } from '../client/coord-client.js';
import { isCoordError } from '../errors.js';
import type { RunnerEventOf } from '../events/runner-event.js';
import type { Finish, Publication } from '../machine/attempt-machine.js';
import { redactJson } from '../redact.js';
import { backoffDelayMs, serverBackoff } from '../retry.js';
import type { EventSpool } from '../store/event-spool.js';
import type { EventTail, EventUploader } from './event-uploader.js';
import type { AgentResult, Clock } from './ports.js';
import { classifyRefusal } from './refusal.js';
import { delay, graceAfterStop } from './stop-grace.js';

/** How an attempt ended, as its `job.finished` event says (and the spool keeps, for recovery). */
export type FinishedData = Pick<
  RunnerEventOf<'job.finished'>,
  'outcome' | 'summary' | 'pullRequest' | 'outputs' | 'error' | 'usage' | 'sessionId'
>;

/** What the machine's end amounts to, for the `job.finished` event. */
export function finishedData(
  finish: Finish,
  agentResult: AgentResult | null,
  publication: Publication | null,
): FinishedData {
  return {
    outcome: finish.outcome,
    summary: agentResult?.summary ?? '',
    pullRequest: publication?.pullRequest ?? null,
    outputs: publication?.outputs ?? null,
    error: finish.error,
    usage: agentResult?.usage ?? null,
    sessionId: agentResult?.sessionId ?? null,
  };
}

/**
 * The one builder of completion requests, for an attempt that ends here and for one a crashed run
 * left behind, from its spooled finish: the same finish makes the same request, which is what
 * lets the server answer a report sent again (it reached the server, the answer did not come back)
 * as the first one instead of refusing it.
 */
export function completionRequest(finished: FinishedData, lastSeq: number): CompleteRequest {
  const { error } = finished;
  return {
    outcome: finished.outcome,
    summary: finished.summary,
    pullRequest: finished.pullRequest,
    outputs: finished.outputs,
    usage: finished.usage ?? null,
    sessionId: finished.sessionId ?? null,
    lastSeq,
    // The wire takes the failure itself, not its details (they stay in the runner's events).
    error: error ? { code: error.code, message: error.message, retryable: error.retryable } : null,
  };
}

export interface CompletionDeliveryOptions {
  client: CoordClient;
  spool: EventSpool;
  clock: Clock;
  runnerId: string;
  /** Resolves when the runner begins to stop. */
  stopped: Promise<void>;
  /** Resolves when the runner is stopped at once (`force`): delivery gets `FORCED_DELIVERY_MS` more. */
  forced: Promise<void>;
  /** Once stopping, how long delivery goes on before what is left stays in the spool. */
  deliveryGraceMs: number;
  /**
   * Told every failure; a refused token (401) signs the runner out through it, and delivery then
   * waits for `whenSignedIn` instead of giving the report up.
   */
  reportError(error: unknown): void;
  whenSignedIn(): Promise<void>;
}

/** The attempt whose report is delivered: its uploader, and whether its lease is lost (read live). */
export interface DeliveryTarget {
  readonly attemptId: string;
  readonly uploader: EventUploader;
  readonly leaseLost: boolean;
}

export interface DeliverOptions {
  /**
   * Give up as soon as the runner stops (a recovered attempt: its report waits for the next start).
   * Otherwise delivery goes on for the delivery grace after the stop (a live attempt).
   */
  stopWithRunner?: boolean;
  /** Called instead of reporting when the server refuses the attempt (recovery says why itself). */
  onGone?: (error: unknown) => void;
}

export type Delivery = 'delivered' | 'gone' | 'left';

/**
 * Uploads the attempt's last events and its completion, retrying transient failures for as long
 * as the lease holds (renewals go on meanwhile): a finished job must not be lost to an outage and
 * run again. Ends quietly when the lease is lost (`gone`); a refusal (4xx) is reported and thrown,
 * or handed to `onGone` (recovery finishes the attempt locally and says why); a refused token
 * (401) waits for a new sign-in.
 * Once the runner stops, it tries for `deliveryGraceMs` more (a recovered attempt: not at all),
 * then leaves the rest in the spool for the next start (`left`).
 */
export function createCompletionDelivery(options: CompletionDeliveryOptions) {
  const { client, spool, clock } = options;

  return async function deliver(
    target: DeliveryTarget,
    raw: CompleteRequest,
    { stopWithRunner = false, onGone }: DeliverOptions = {},
  ): Promise<Delivery> {
    // The summary and error come from the agent: redacted like its events.
    const request = redactJson(raw);
    const grace = graceAfterStop(options.stopped, clock, stopWithRunner ? 0 : options.deliveryGraceMs);
    const forcedGrace = graceAfterStop(
      options.forced,
      clock,
      Math.min(FORCED_DELIVERY_MS, options.deliveryGraceMs),
    );
    const abort = new AbortController();
    const cut = Promise.race([grace.expired, forcedGrace.expired]).then((): typeof CUT => {
      abort.abort();
      return CUT;
    });
    // The last events go with the report, unless the server would not take them that way.
    let carryEvents = true;
    try {
      for (let failures = 0; !target.leaseLost;) {
        let tail: EventTail | null = null;
        try {
          const rest = carryEvents ? target.uploader.rest() : target.uploader.drain().then(() => null);
          const waited = await Promise.race([rest, cut]);
          if (waited === CUT) return 'left';
          tail = waited;
          const completed = client.complete(
            options.runnerId,
            target.attemptId,
            request,
            abort.signal,
            tail?.lines,
          );
          if ((await Promise.race([completed, cut])) === CUT) return 'left';
          if (tail) target.uploader.acknowledge(tail.lastSeq);
          spool.finish(target.attemptId);
          return 'delivered';
        } catch (error) {
          if (target.leaseLost) break;
          if (tail && refusedCarriedEvents(error)) {
            // An event too large or invalid (the uploader finds and replaces it), or a server that
            // ignores carried events: upload them, then send the report alone.
            carryEvents = false;
            continue;
          }
          const refusal = classifyRefusal(error);
          if (refusal === 'signed_out') {
            // Not a refusal of the report: it waits in the spool until someone signs in again.
            options.reportError(error);
            if ((await Promise.race([options.whenSignedIn(), cut])) === CUT) return 'left';
            continue;
          }
          if (refusal === 'gone') {
            // The attempt is no longer ours: nothing more is owed for it.
            if (onGone) onGone(error);
            else if (!isCoordError(error) || error.code !== 'lease.lost') options.reportError(error);
            break;
          }
          if (!isCoordError(error) || !error.retryable) {
            // Refused for good: trying again at the next start would only be refused again.
            spool.finish(target.attemptId);
            if (!onGone) {
              options.reportError(error);
              throw error;
            }
            onGone(error);
            return 'gone';
          }
          options.reportError(error);
          failures += 1;
          const wait = delay(clock, backoffDelayMs(serverBackoff, failures, clock.random));
          const waited = await Promise.race([wait.expired, cut]);
          wait.cancel();
          if (waited === CUT) return 'left';
        }
      }
      spool.finish(target.attemptId);
      return 'gone';
    } finally {
      grace.cancel();
      forcedGrace.cancel();
    }
  };
}

export type DeliverCompletion = ReturnType<typeof createCompletionDelivery>;

/**
 * A forced stop ends the process soon, but a report the server takes at once (the usual case)
 * still gets there: what is not delivered by then stays in the spool for the next start.
 */
export const FORCED_DELIVERY_MS = 2_000;

/** The server refused a report that carried events for the events' sake, or may have. */
function refusedCarriedEvents(error: unknown): boolean {
  return (isApiError(error) && error.serverCode === 'events.gap') || classifyRefusal(error) === 'split';
}

/** What a delivery wait yields when the stop grace ran out first. */
const CUT: unique symbol = Symbol('cut');
