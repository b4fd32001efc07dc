import type { AgentId, RegisterRunnerResponse } from '@coord/runner-protocol';
import { Subject } from 'rxjs';
import { CoordError, registerSecret, toErrorPayload } from '../errors.js';
import type { RunnerEvent, RunnerStatus } from '../events/runner-event.js';
import { startAttempt, type Attempt, type AttemptDeps, type ClaimedAttempt } from './attempt-driver.js';
import { createClaimLoop, type ClaimLoop } from './claim-loop.js';
import { createCompletionDelivery } from './completion.js';
import { advertisedAgents, claimedAttempt, type RunnerAbilities } from './eligibility.js';
import { createEventUploader } from './event-uploader.js';
import { createHintLoop, type HintLoop } from './hint-loop.js';
import { systemClock } from './ports.js';
import { recoverUnfinished } from './recovery.js';
import { attemptSettings, type Runner, type RunnerOptions } from './runner-api.js';
import { openSession, type RunnerSession } from './session.js';
import { createSignIn } from './sign-in.js';
import { signOff, tellPresence } from './presence.js';
import { createRepeatFilter } from './repeat-filter.js';
import { createSlotPool, type AttemptSlot, type ClaimTicket } from './slot-pool.js';

export type { ActiveAttemptView } from './attempt-driver.js';

/** How long a claim polls when another connection of this runner waits for its slot. */
export const CONTENDED_CLAIM_WAIT_MS = 2_000;
export type { Runner, RunnerIdentity, RunnerOptions } from './runner-api.js';

/**
 * Creates a runner: register, claim, run attempts through their machines, report. The
 * composition root: each concern is a module of its own (DESIGN.md section 5).
 */
export function createRunner(options: RunnerOptions): Runner {
  const { client, spool } = options;
  const clock = options.clock ?? systemClock;
  const capacity = options.capacity ?? 1;
  // Shared with the runner's other connections when it has several (one limit for them all).
  const slots =
    options.slots ??
    createSlotPool({ capacity, ...(options.agentLimits ? { agentLimits: options.agentLimits } : {}) });
  const attemptSlots = new Map<string, AttemptSlot>();
  /** Attempts that lent their slot while they wait on a lock: the server counts them out too. */
  const waitingAttempts = () => {
    const ids = [...attemptSlots].filter(([, slot]) => slot.parkedNow).map(([id]) => id);
    return ids.length ? { waitingAttemptIds: ids } : {};
  };
  const settings = attemptSettings(options);
  const abilities: RunnerAbilities = {
    agents: options.agents,
    disabledAgents: new Set(options.disabledAgents ?? []),
    repositoryJobs: options.repositories !== undefined,
    localJobs: options.local !== undefined,
  };
  for (const secret of options.secrets ?? []) registerSecret(secret);

  const subject = new Subject<RunnerEvent>();
  const active = new Map<string, Attempt>();
  let session: RunnerSession | null = null;
  let status: RunnerStatus | null = null;
  let stopping = false;
  let claims: ClaimLoop | null = null;
  let hints: HintLoop | null = null;
  let work: Promise<unknown>[] = [];

  const emit = (event: RunnerEvent) => subject.next(event);
  const signIn = createSignIn({
    clock,
    pollMs: options.signInPollMs ?? 5_000,
    credentials: options.credentials,
    useToken: (token) => client.useToken(token),
    probe: () => client.me(),
    onSignedOut: (message) => {
      if (!stopping) setStatus('signed_out', message);
    },
    onSignedIn: (message) => {
      if (!stopping) setStatus(settledStatus(), message);
      // Draining attempts too: what they owe goes out now, not after their backoff.
      for (const attempt of active.values()) attempt.retryNow();
    },
    reportError: (error) => reportError(error),
  });
  const repeats = createRepeatFilter(clock);
  /**
   * Every failure passes here. A refused token signs the runner out: said once by the status,
   * not again by every call that meets it while signed out. Any other failure that repeats (an
   * outage, met by every retry of every loop) is said at most once a minute.
   */
  const reportError = (error: unknown) => {
    const wasSignedOut = signIn.signedOut;
    if (signIn.observe(error) && wasSignedOut) return;
    const payload = toErrorPayload(error);
    if (repeats.isNews(payload)) emit({ type: 'runner.error', at: clock.now(), error: payload });
  };
  /** Waits for a new sign-in after `error` (a refused token) signed the runner out. */
  const signedOut = (error: unknown) => {
    reportError(error);
    return signIn.whenSignedIn();
  };
  const settledStatus = (): RunnerStatus =>
    signIn.signedOut ? 'signed_out' : active.size > 0 ? 'busy' : 'idle';
  const setStatus = (next: RunnerStatus, message?: string) => {
    if (next === status && message === undefined) return;
    status = next;
    emit({
      type: 'runner.status',
      at: clock.now(),
      status: next,
      ...(session ? { runnerId: session.runnerId } : {}),
      ...(message ? { message } : {}),
    });
  };

  let markStopped!: () => void;
  /** Resolves when a stop begins. */
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  let markForced!: () => void;
  /** Resolves when a forced stop begins (perhaps after a drain or graceful one). */
  const forced = new Promise<void>((resolve) => (markForced = resolve));
  let shutdownPromise: Promise<void> | null = null;
  function shutdown(mode: 'drain' | 'graceful' | 'force', reason?: string): Promise<void> {
    if (mode === 'graceful') for (const attempt of active.values()) attempt.stop();
    if (mode === 'force') {
      markForced();
      for (const attempt of active.values()) attempt.stopNow();
    }
    if (shutdownPromise) return shutdownPromise;
    stopping = true;
    markStopped();
    setStatus('stopping', reason);
    claims?.stop();
    hints?.stop();
    shutdownPromise = (async () => {
      // Jobs still run to their end: the server is told this runner takes no new ones meanwhile.
      if (mode === 'drain' && active.size > 0 && session)
        await tellPresence(client, session.runnerId, { presence: 'draining' }, clock);
      await Promise.all([...active.values()].map((attempt) => attempt.done));
      await Promise.all(work);
      if (session) await tellPresence(client, session.runnerId, signOff(active.keys(), spool), clock);
      // Not before: attempts still finishing (a drain) deliver once someone signs in again.
      signIn.stop();
      setStatus('stopped', reason);
      subject.complete();
    })();
    return shutdownPromise;
  }

  /** Everything after registration: the loops and attempts of one session. */
  function run(current: RunnerSession): void {
    const uploaderFor = (attemptId: string, onLeaseLost: (error: unknown) => void) =>
      createEventUploader({
        client,
        spool,
        runnerId: current.runnerId,
        attemptId,
        clock,
        intervalMs: options.eventBatch?.intervalMs ?? 250,
        maxBatch: options.eventBatch?.maxEvents ?? 500,
        maxBatchBytes: current.batchBytes,
        onError: reportError,
        onLeaseLost,
      });
    const deliver = createCompletionDelivery({
      client,
      spool,
      clock,
      runnerId: current.runnerId,
      stopped,
      forced,
      deliveryGraceMs: settings.deliveryGraceMs,
      reportError,
      whenSignedIn: () => signIn.whenSignedIn(),
    });
    const deps: AttemptDeps = {
      session: current,
      client,
      spool,
      clock,
      repositories: options.repositories,
      local: options.local,
      settings,
      uploaderFor,
      deliver,
      emit,
      reportError,
      whileWaiting: (attemptId, wait) => attemptSlots.get(attemptId)?.parked(wait) ?? wait(),
      onStarted: (attempt) => {
        active.set(attempt.attemptId, attempt);
        setStatus(settledStatus());
      },
      onEnded: (attempt) => {
        active.delete(attempt.attemptId);
        attemptSlots.get(attempt.attemptId)?.release();
        attemptSlots.delete(attempt.attemptId);
        if (!stopping) setStatus(settledStatus());
      },
    };

    /**
     * Runs a claimed attempt in its slot. A fault of the runner in starting it is reported and
     * frees the slot; the server, the lease never renewed, requeues the job.
     */
    const launch = (
      claim: ClaimedAttempt,
      slot: AttemptSlot,
      reattach?: Parameters<typeof startAttempt>[2],
    ) => {
      const attemptId = claim.envelope.attempt.id;
      attemptSlots.set(attemptId, slot);
      try {
        startAttempt(deps, claim, reattach);
      } catch (error) {
        reportError(error);
        if (!active.has(attemptId)) {
          slot.release();
          attemptSlots.delete(attemptId);
        }
      }
    };
    const accept = (raw: unknown, ticket: ClaimTicket) => {
      let claim: ReturnType<typeof claimedAttempt>;
      try {
        claim = claimedAttempt(raw, abilities);
      } catch (error) {
        claim = new CoordError(
          'runner.internal',
          `The claim's answer could not be read: ${toErrorPayload(error).message}`,
        );
      }
      if (claim instanceof CoordError) {
        ticket.cancel();
        reportError(claim);
        return;
      }
      launch(claim, ticket.fill(claim.agent?.id ?? null));
    };
    const enabledAgents = abilities.agents
      .map((agent) => agent.id)
      .filter((id) => !abilities.disabledAgents.has(id));

    const claimLoop = createClaimLoop({
      clock,
      reserve: (signal) => slots.reserve(enabledAgents, signal),
      activeAttemptIds: () => [...active.keys()],
      claim: (ask, ticket, signal) =>
        client.claim(
          current.runnerId,
          {
            // Another connection waits for this slot: a short poll, so its jobs do not wait ours.
            waitMs: ticket.contended
              ? Math.min(current.timings.claimWaitMs, CONTENDED_CLAIM_WAIT_MS)
              : current.timings.claimWaitMs,
            ...ask,
            ...(ticket.restricted ? { agents: [...ticket.agents] as AgentId[] } : {}),
            ...waitingAttempts(),
          },
          signal,
        ),
      onAssignment: accept,
      onConnection: (state) =>
        state === 'offline'
          ? setStatus('offline', 'Cannot reach the Coord server; retrying')
          : setStatus(settledStatus(), 'Connected to the Coord server again'),
      onSignedOut: signedOut,
      // Retrying cannot help: stop claiming, let active attempts finish, then end the stream.
      onFatal: (error) => void shutdown('drain', error.message),
      reportError,
    });
    const hintLoop = createHintLoop({
      clock,
      hints: (signal, onOpen) => client.hints(current.runnerId, signal, onOpen),
      onHint: (attemptId) => active.get(attemptId)?.renewNow(),
      // Whatever was hinted while the stream was down is fetched now, by renewing every lease.
      onOpen: () => {
        for (const attempt of active.values()) attempt.renewNow();
      },
      onSignedOut: signedOut,
    });
    claims = claimLoop;
    hints = hintLoop;
    // Attempts a crashed run left unreported go first: their jobs are requeued before we claim.
    const recovery = recoverUnfinished({
      spool,
      clock,
      uploaderFor,
      deliver,
      emit,
      reportError,
      isStopping: () => stopping,
      stopped,
      isActive: (attemptId) => active.has(attemptId),
      reattach: (attemptId) => client.reattach(current.runnerId, attemptId),
      resume: (raw, { checkpoint, reattach }) => {
        const claim = claimedAttempt(raw, abilities);
        if (claim instanceof CoordError) {
          reportError(claim);
          return false;
        }
        // It ran before the restart: its slot is taken back at once.
        launch(claim, slots.occupy(claim.agent?.id ?? null), {
          at: reattach,
          prepared: checkpoint.prepared,
          agentRunMarker: checkpoint.agentRunMarker ?? null,
        });
        return true;
      },
    });
    work = [recovery.then(() => claimLoop.run()).catch(reportError), hintLoop.run().catch(reportError)];
  }

  return {
    events$: subject.asObservable(),
    get runnerId() {
      return session?.runnerId ?? null;
    },
    async start() {
      // Asked to stop before it started (a signal during start-up): nothing to register for.
      if (stopping) throw new CoordError('runner.stopped', 'The runner was asked to stop before it started.');
      setStatus('starting');
      const agents = await advertisedAgents(abilities);
      let registration: RegisterRunnerResponse;
      try {
        registration = await client.register({
          ...options.identity,
          agents,
          capacity,
          labels: options.identity.labels ?? [],
        });
      } catch (error) {
        reportError(error);
        // A refused token at the start is an error to fix, not a sign-in to wait for.
        signIn.stop();
        setStatus('stopped', 'Registration failed');
        throw error;
      }
      session = openSession(registration, {
        timings: options.timings,
        maxBatchBytes: options.eventBatch?.maxBytes,
      });
      // Stopped while it registered: no loop starts (the stop has already ended the stream).
      if (stopping) return registration;
      setStatus('idle');
      run(session);
      return registration;
    },
    stop: ({ mode = 'drain' } = {}) => shutdown(mode),
    checkSignIn: () => signIn.check(),
    hasInteraction: (interactionId) =>
      [...active.values()].some((attempt) => attempt.interactions.has(interactionId)),
    answer: (interactionId, answer) => {
      const owner = [...active.values()].find((attempt) => attempt.interactions.has(interactionId));
      return owner
        ? owner.interactions.answer(interactionId, answer)
        : client.answerInteraction(interactionId, { answer, by: 'runner' });
    },
    activeAttempts: () => [...active.values()].map((attempt) => attempt.view()),
    stopAttempt: (attemptId) => {
      const attempt = active.get(attemptId);
      attempt?.stop();
      return attempt !== undefined;
    },
  };
}
