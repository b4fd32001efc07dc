import type {
  AgentId,
  Assignment,
  Outcome,
  AssignmentEnvelope,
  InteractionAnswer,
  Platform,
  RegisterRunnerResponse,
  Timings,
} from '@coord/runner-protocol';
import { homedir } from 'node:os';
import { Subject, type Observable } from 'rxjs';
import { createActor, fromPromise, type Actor, type SnapshotFrom } from 'xstate';
import type { AgentEvent } from '../agents/agent-event.js';
import { createSecretSafeChunker, type SecretSafeChunker } from '../agents/secret-safe-chunks.js';
import type { AnswerOutcome, CoordClient } from '../client/coord-client.js';
import { CoordError, isCoordError, registerSecret, toErrorPayload, type ErrorPayload } from '../errors.js';
import { containsRegisteredSecret, redactJson } from '../redact.js';
import type {
  AttemptState,
  JobEvent,
  JobEventDraft,
  RunnerEvent,
  RunnerStatus,
} from '../events/runner-event.js';
import { fitEventData } from '../events/fit-event.js';
import type { PermissionSettings } from '../policy/permission-policy.js';
import { attemptMachine, attemptStateOf, type Publication } from '../machine/attempt-machine.js';
import type { EventSpool } from '../store/event-spool.js';
import { parseAssignment } from './assignment.js';
import {
  completionRequest,
  createCompletionDelivery,
  finishedData,
  type DeliverCompletion,
} from './completion.js';
import { recoverUnfinished } from './recovery.js';
import { createClaimLoop, type ClaimLoop } from './claim-loop.js';
import { createEventUploader, type EventUploader } from './event-uploader.js';
import { createHintLoop, type HintLoop } from './hint-loop.js';
import { createInteractions, type Interactions } from './interactions.js';
import { createLeaseKeeper, type LeaseKeeper } from './lease-keeper.js';
import { openSession, type RunnerSession } from './session.js';
import { advertisedAgents, checkEligibility, type RunnerAbilities } from './eligibility.js';
import {
  systemClock,
  type AgentPort,
  type AgentRun,
  type Clock,
  type LocalOutputFile,
  type LocalWorkspacePort,
  type PreparedWorkspace,
  type RepositoryWorkspacePort,
} from './ports.js';

export interface RunnerIdentity {
  /** Stable per machine and state dir: re-registering with it keeps the runner id. */
  machineId: string;
  name: string;
  platform: Platform;
  arch: string;
  version: string;
  labels?: string[];
}

export interface RunnerOptions {
  client: CoordClient;
  identity: RunnerIdentity;
  agents: AgentPort[];
  /** Agents detected but switched off by the user. */
  disabledAgents?: AgentId[];
  repositories?: RepositoryWorkspacePort;
  local?: LocalWorkspacePort;
  spool: EventSpool;
  /** Jobs run at once (default 1). */
  capacity?: number;
  clock?: Clock;
  /** Overrides of the server's timings (tests, benchmarks). */
  timings?: Partial<Timings>;
  /**
   * Upload batching. `maxBytes` caps one request's serialized events (default 2 MiB, and below the
   * limit the server advertises at registration).
   */
  eventBatch?: { intervalMs?: number; maxEvents?: number; maxBytes?: number };
  /** Graceful stop: how long the agent may take to finish before it is terminated (default 10 s). */
  stopGraceMs?: number;
  /**
   * Once stopping, how long the runner keeps trying to deliver events and reports the server does
   * not take (an outage, a refusal); then it stops anyway and they stay in the spool for the next
   * start (default 10 s).
   */
  deliveryGraceMs?: number;
  /** Unanswered questions and approvals fall back to deny after this long (default 30 min). */
  interactionTimeoutMs?: number;
  /**
   * Keep every attempt's work tree. By default a work tree is removed once its work is delivered
   * (succeeded, no changes, cancelled); failed and stopped ones are kept for inspection and retries.
   */
  keepWorkTrees?: boolean;
  /**
   * Secrets the runner holds besides its Coord token and forge tokens (which register themselves):
   * the agents' API keys. They are redacted from every event and block a push that adds them.
   */
  secrets?: readonly string[];
  /**
   * The runner's private state (state dir, credentials file): agents are told never to read or
   * write inside it, except in their own work dir (see `AgentRunInput.protectedPaths`).
   */
  protectedPaths?: readonly string[];
  /**
   * How tool calls the agents ask about are decided: automatically by mode and rules, or by a
   * person (default: every one asks). Dangerous calls always ask; the runner's credentials never.
   */
  permissions?: PermissionSettings;
  /** The user's home, where the policy looks for credential files (default: the OS's). */
  homeDir?: string;
}

export interface ActiveAttemptView {
  jobId: string;
  attemptId: string;
  attemptNumber: number;
  title: string;
  state: AttemptState;
}

export interface Runner {
  /** Everything the runner does. Hot: subscribe before `start()` to see registration. */
  readonly events$: Observable<RunnerEvent>;
  readonly runnerId: string | null;
  /** Registers and starts claiming; resolves once registered, rejects if registration fails. */
  start(): Promise<RegisterRunnerResponse>;
  /**
   * Stops claiming. `drain` (default) lets active attempts finish; `graceful` asks their agents to
   * stop (they save their session and the job is requeued). Resolves when nothing is active;
   * then `events$` completes.
   */
  stop(options?: { mode?: 'drain' | 'graceful' }): Promise<void>;
  /** Answers a pending question or approval from this runner's own UI; the first answer wins. */
  answer(interactionId: string, answer: InteractionAnswer): Promise<AnswerOutcome>;
  activeAttempts(): ActiveAttemptView[];
}

interface AttemptRecord {
  jobId: string;
  attemptId: string;
  attemptNumber: number;
  title: string;
  envelope: AssignmentEnvelope;
  assignment: Assignment | null;
  agent: AgentPort | null;
  actor: Actor<typeof attemptMachine> | null;
  uploader: EventUploader;
  state: AttemptState;
  prepared: PreparedWorkspace | null;
  workDir: string | null;
  agentRun: AgentRun | null;
  /** Re-cuts streamed agent output so no secret is split across two events (redaction needs it). */
  chunker: SecretSafeChunker;
  lease: LeaseKeeper;
  leaseLost: boolean;
  /** Set once `job.finished` is spooled: later events (the final state) stay local. */
  reported: boolean;
  interactions: Interactions;
  /** What the agent reported spending so far, against the job's `maxCostUsd`. */
  costUsd: number;
  done: Promise<void>;
  markDone: () => void;
}

/** Creates a runner: register, claim, run attempts through their machines, report. */
export function createRunner(options: RunnerOptions): Runner {
  const { client, spool } = options;
  const clock = options.clock ?? systemClock;
  const capacity = options.capacity ?? 1;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const interactionTimeoutMs = options.interactionTimeoutMs ?? 30 * 60_000;
  const permissions: PermissionSettings = options.permissions ?? { mode: 'ask' };
  const homeDir = options.homeDir ?? homedir();
  const batchInterval = options.eventBatch?.intervalMs ?? 250;
  const batchMax = options.eventBatch?.maxEvents ?? 500;
  const deliveryGraceMs = options.deliveryGraceMs ?? 10_000;
  const abilities: RunnerAbilities = {
    agents: options.agents,
    disabledAgents: new Set(options.disabledAgents ?? []),
    repositoryJobs: options.repositories !== undefined,
    localJobs: options.local !== undefined,
  };
  for (const secret of options.secrets ?? []) registerSecret(secret);

  const subject = new Subject<RunnerEvent>();
  const active = new Map<string, AttemptRecord>();
  let session: RunnerSession | null = null;
  let status: RunnerStatus | null = null;
  let stopping = false;
  let claims: ClaimLoop | null = null;
  let hints: HintLoop | null = null;
  let loop: Promise<void> | null = null;
  let hintsDone: Promise<void> | null = null;

  const emit = (event: RunnerEvent) => subject.next(event);
  let deliver: DeliverCompletion | null = null;
  /** An uploader of one attempt's spooled events, batched as configured. */
  const uploaderFor = (attemptId: string, onLeaseLost: (error: unknown) => void) =>
    createEventUploader({
      client,
      spool,
      runnerId: session!.runnerId,
      attemptId,
      clock,
      intervalMs: batchInterval,
      maxBatch: batchMax,
      maxBatchBytes: session!.batchBytes,
      onError: reportError,
      onLeaseLost,
    });
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
  const reportError = (error: unknown) =>
    emit({ type: 'runner.error', at: clock.now(), error: toErrorPayload(error) });
  const settledStatus = (): RunnerStatus => (active.size > 0 ? 'busy' : 'idle');

  /**
   * Redacts a job event, spools it (so it reaches the server), then shows it to subscribers. The
   * one door for job events: nothing unredacted is spooled, shown or sent.
   */
  function emitJob(record: AttemptRecord, event: JobEventDraft): void {
    const full = redactJson({
      ...event,
      at: clock.now(),
      jobId: record.jobId,
      attemptId: record.attemptId,
    } as JobEvent);
    if (!record.leaseLost && !record.reported) {
      const { type, at, jobId: _j, attemptId: _a, ...data } = full;
      try {
        spool.append(record.attemptId, { type, at: new Date(at).toISOString(), data: fitEventData(data) });
        record.uploader.notify();
      } catch (error) {
        reportError(error);
      }
    }
    emit(full);
  }

  function acceptAssignment(raw: unknown): void {
    const parsed = parseAssignment(raw);
    if (parsed.kind === 'unreadable') {
      reportError(new CoordError('api.invalid_response', parsed.error.message));
      return;
    }
    const envelope = parsed.kind === 'ok' ? parsed.assignment : parsed.envelope;
    const assignment = parsed.kind === 'ok' ? parsed.assignment : null;
    let rejection: ErrorPayload | null = parsed.kind === 'rejected' ? parsed.error : null;
    let agent: AgentPort | null = null;
    if (assignment) {
      const eligibility = checkEligibility(assignment.job.spec, abilities);
      if (eligibility.kind === 'eligible') agent = eligibility.agent;
      else rejection = eligibility.error;
    }
    startAttempt(envelope, assignment, agent, rejection);
  }

  function startAttempt(
    envelope: AssignmentEnvelope,
    assignment: Assignment | null,
    agent: AgentPort | null,
    rejection: ErrorPayload | null,
  ): void {
    const { attempt } = envelope;
    let markDone!: () => void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const record: AttemptRecord = {
      jobId: attempt.jobId,
      attemptId: attempt.id,
      attemptNumber: attempt.number,
      title: assignment?.job.spec.title ?? '(unreadable job)',
      envelope,
      assignment,
      agent,
      actor: null,
      state: 'claimed',
      prepared: null,
      workDir: null,
      agentRun: null,
      chunker: createSecretSafeChunker(),
      lease: createLeaseKeeper({
        clock,
        renewMs: session!.timings.leaseRenewMs,
        renew: () => client.renewLease(session!.runnerId, attempt.id, { state: record.state }),
        onControls: (controls) => {
          for (const control of controls) {
            if (control.type === 'cancel') record.actor?.send({ type: 'CANCEL', reason: control.reason });
            else if (control.type === 'stop') record.actor?.send({ type: 'STOP' });
            else record.interactions.resolve(control.interactionId, control.answer, 'web');
          }
        },
        onGone: (error) => onLeaseLost(record, error),
        reportError,
      }),
      leaseLost: false,
      reported: false,
      interactions: createInteractions({
        clock,
        timeoutMs: interactionTimeoutMs,
        policy: {
          settings: permissions,
          jobMode: assignment?.job.spec.agent.permissionMode,
          home: homeDir,
          protectedPaths: options.protectedPaths ?? [],
          workDir: () => record.workDir ?? '',
        },
        put: (interactionId, request) =>
          client.putInteraction(session!.runnerId, attempt.id, interactionId, request),
        answer: (interactionId, answer) => client.answerInteraction(interactionId, { answer, by: 'runner' }),
        respond: (requestId, answer) => record.agentRun?.respond(requestId, answer),
        emit: (event) => emitJob(record, event),
        onWaiting: () => record.actor?.send({ type: 'INPUT_REQUESTED' }),
        onAllAnswered: () => record.actor?.send({ type: 'INPUT_RESOLVED' }),
        reportError,
      }),
      costUsd: 0,
      done,
      markDone,
      uploader: uploaderFor(attempt.id, (error) => onLeaseLost(record, error)),
    };
    active.set(attempt.id, record);
    try {
      spool.begin({ attemptId: attempt.id, jobId: attempt.jobId, attemptNumber: attempt.number });
    } catch (error) {
      reportError(error);
    }
    setStatus('busy');
    emitJob(record, {
      type: 'job.claimed',
      attemptNumber: attempt.number,
      workspaceId: attempt.workspaceId,
      title: record.title,
      agent: assignment?.job.spec.agent.id ?? null,
    });
    record.lease.start();

    const actor = createActor(provideActors(record), {
      input: { jobId: record.jobId, attemptId: record.attemptId, rejection },
    });
    record.actor = actor;
    actor.subscribe({
      next: (snapshot) => onSnapshot(record, snapshot),
      error: (error) => {
        reportError(error);
        finishRecord(record);
      },
    });
    actor.start();
  }

  function onSnapshot(record: AttemptRecord, snapshot: SnapshotFrom<typeof attemptMachine>): void {
    const state = attemptStateOf(snapshot.value);
    if (state !== record.state) {
      record.state = state;
      emitJob(record, { type: 'job.state', state });
    }
    if (snapshot.status === 'done') finishRecord(record);
  }

  function finishRecord(record: AttemptRecord): void {
    if (!active.has(record.attemptId)) return;
    record.lease.stop();
    record.interactions.close();
    record.uploader.stop();
    active.delete(record.attemptId);
    record.markDone();
    if (!stopping) setStatus(settledStatus());
    claims?.slotFreed();
  }

  // -------------------------------------------------------------------------------------------
  // Actors of the attempt machine, bound to this runner's ports

  function provideActors(record: AttemptRecord) {
    const log = (message: string) => emitJob(record, { type: 'job.log', level: 'info', message });
    const spec = () => record.assignment!.job.spec;

    return attemptMachine.provide({
      actors: {
        prepare: fromPromise(async ({ signal }) => {
          const s = spec();
          if (s.context.type === 'repository') {
            record.prepared = await options.repositories!.prepare({
              job: { id: record.jobId, title: s.title },
              attempt: record.envelope.attempt,
              repository: s.context.repository,
              forge: record.envelope.forge,
              signal,
              log,
            });
            record.workDir = record.prepared.workDir;
            return { workDir: record.prepared.workDir };
          }
          const prepared = await options.local!.prepare({
            job: { id: record.jobId },
            attempt: record.envelope.attempt,
          });
          record.workDir = prepared.workDir;
          return prepared;
        }),

        runAgent: fromPromise(async ({ input, signal }) => {
          const s = spec();
          const run = record.agent!.start({
            jobId: record.jobId,
            attemptId: record.attemptId,
            attemptNumber: record.attemptNumber,
            title: s.title,
            instructions: s.instructions,
            workDir: input.workDir,
            agent: s.agent,
            resumeSessionId: record.envelope.attempt.previousSessionId,
            env: {},
            protectedPaths: options.protectedPaths ?? [],
            workContext:
              s.context.type === 'repository' && record.prepared
                ? {
                    kind: 'repository',
                    repository: `${s.context.repository.owner}/${s.context.repository.name}`,
                    branch: record.prepared.branch,
                    baseBranch: record.prepared.baseBranch,
                  }
                : { kind: 'local' },
            earlierAttempts: record.envelope.attempt.earlier ?? [],
          });
          record.agentRun = run;
          const onAbort = () => run.kill();
          signal.addEventListener('abort', onAbort, { once: true });
          const subscription = run.events$.subscribe((event) => onAgentEvent(record, event));
          try {
            return await run.result;
          } finally {
            signal.removeEventListener('abort', onAbort);
            subscription.unsubscribe();
            for (const held of record.chunker.flush()) emitJob(record, { type: 'job.agent', event: held });
          }
        }),

        interruptAgent: fromPromise(async () => {
          await record.agentRun?.interrupt(stopGraceMs);
        }),

        publish: fromPromise(async ({ input, signal }): Promise<Publication> => {
          const s = spec();
          if (s.context.type === 'repository') {
            const result = await options.repositories!.publish({
              workspace: record.prepared!,
              job: { id: record.jobId, title: s.title, instructions: s.instructions },
              attempt: record.envelope.attempt,
              repository: s.context.repository,
              forge: record.envelope.forge,
              summary: input.agentResult.summary,
              agentDisplayName: record.agent!.displayName,
              signal,
              log,
            });
            return result.kind === 'pull_request'
              ? { outcome: 'succeeded', pullRequest: result.pullRequest, outputs: null }
              : { outcome: 'no_changes', pullRequest: null, outputs: null };
          }
          const files = await options.local!.collectOutputs(input.workDir);
          await refuseLeakingOutputs(files);
          for (const file of files) {
            try {
              await client.uploadArtifact(session!.runnerId, record.attemptId, file.path, await file.read());
            } catch (cause) {
              throw new CoordError('artifact.upload_failed', `Cannot upload output file ${file.path}`, {
                cause,
                retryable: isCoordError(cause) && cause.retryable,
              });
            }
            log(`Uploaded ${file.path} (${file.size} bytes)`);
          }
          return {
            outcome: files.length > 0 ? 'succeeded' : 'no_changes',
            pullRequest: null,
            outputs: files.map((f) => f.path),
          };
        }),

        report: fromPromise(async ({ input }) => {
          const { finish, agentResult, publication } = input;
          // Let subscribers see the `reporting` state before the finish it reports.
          await Promise.resolve();
          // A cancelled agent was killed, not awaited: report only once its process is gone, so
          // nothing still writes in the work directory of a job the server calls finished.
          if (record.agentRun && agentResult === null)
            await settleWithin(record.agentRun.result, stopGraceMs);
          const finished = finishedData(finish, agentResult, publication);
          emitJob(record, { type: 'job.finished', ...finished });
          record.reported = true;
          const delivered = await deliver!(
            record,
            completionRequest(finished, agentResult, spool.lastSeq(record.attemptId)),
          );
          if (delivered === 'left')
            emitJob(record, {
              type: 'job.log',
              level: 'warn',
              message: `The server did not take this attempt's report within ${deliveryGraceMs} ms of the stop: it stays in the spool and is sent at the next start.`,
            });
          await releaseWorkDir(record, finish.outcome);
        }),
      },
    });
  }

  /** Removes a work tree whose work is delivered; failed and stopped ones stay for inspection. */
  async function releaseWorkDir(record: AttemptRecord, outcome: Outcome): Promise<void> {
    if (options.keepWorkTrees || !record.workDir || record.leaseLost || !record.assignment) return;
    if (outcome !== 'succeeded' && outcome !== 'no_changes' && outcome !== 'cancelled') return;
    const port =
      record.assignment.job.spec.context.type === 'repository' ? options.repositories : options.local;
    try {
      await port?.release(record.workDir);
    } catch (error) {
      reportError(error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Agent output and interactions

  function onAgentEvent(record: AttemptRecord, raw: AgentEvent): void {
    for (const event of record.chunker.push(raw)) onAgentEventCut(record, event);
  }

  function onAgentEventCut(record: AttemptRecord, event: AgentEvent): void {
    emitJob(record, { type: 'job.agent', event });
    if (event.type === 'usage') watchBudget(record, event);
    record.interactions.onAgentEvent(event);
  }

  /** A job with a cost budget: the agent is stopped once it has spent more, and the attempt fails saying so. */
  function watchBudget(record: AttemptRecord, usage: Extract<AgentEvent, { type: 'usage' }>): void {
    if (usage.costUsd === undefined) return;
    const spentBefore = record.costUsd;
    record.costUsd = usage.cumulative ? usage.costUsd : record.costUsd + usage.costUsd;
    const budget = record.assignment?.job.spec.agent.maxCostUsd;
    if (budget === undefined || record.costUsd <= budget || spentBefore > budget) return;
    const message = `The agent passed the job's cost budget of $${budget} (it reported $${record.costUsd.toFixed(4)}) and was stopped.`;
    emitJob(record, { type: 'job.log', level: 'warn', message });
    record.actor?.send({
      type: 'STOP',
      failure: { code: 'agent.budget_exceeded', message, retryable: false },
    });
  }

  // -------------------------------------------------------------------------------------------
  // Leases

  /** The attempt is no longer this runner's (lease lost, or the server refuses it for good). */
  function onLeaseLost(record: AttemptRecord, error?: unknown): void {
    if (record.leaseLost) return;
    const refused = error !== undefined && (!isCoordError(error) || error.code !== 'lease.lost');
    emitJob(record, {
      type: 'job.log',
      level: 'warn',
      message: refused
        ? `The server refuses this attempt (${toErrorPayload(error).message}); stopping it without reporting.`
        : 'The server gave this attempt to someone else (lease lost); stopping it without reporting.',
    });
    record.leaseLost = true;
    try {
      spool.finish(record.attemptId);
    } catch (error) {
      reportError(error);
    }
    record.agentRun?.kill();
    record.actor?.send({ type: 'LEASE_LOST' });
  }

  // -------------------------------------------------------------------------------------------

  let shutdownPromise: Promise<void> | null = null;
  let markStopped!: () => void;
  /** Resolves when a stop begins. */
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  function shutdown(mode: 'drain' | 'graceful', reason?: string): Promise<void> {
    if (mode === 'graceful') for (const record of active.values()) record.actor?.send({ type: 'STOP' });
    if (shutdownPromise) return shutdownPromise;
    stopping = true;
    markStopped();
    setStatus('stopping', reason);
    claims?.stop();
    hints?.stop();
    shutdownPromise = (async () => {
      await Promise.all([...active.values()].map((r) => r.done));
      if (loop) await loop;
      if (hintsDone) await hintsDone;
      setStatus('stopped', reason);
      subject.complete();
    })();
    return shutdownPromise;
  }

  return {
    events$: subject.asObservable(),
    get runnerId() {
      return session?.runnerId ?? null;
    },
    async start() {
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
        setStatus('stopped', 'Registration failed');
        throw error;
      }
      const current = openSession(registration, {
        timings: options.timings,
        maxBatchBytes: options.eventBatch?.maxBytes,
      });
      session = current;
      setStatus('idle');
      claims = createClaimLoop({
        clock,
        capacity,
        activeAttemptIds: () => [...active.keys()],
        claim: (activeAttemptIds, signal) =>
          client.claim(current.runnerId, { waitMs: current.timings.claimWaitMs, activeAttemptIds }, signal),
        onAssignment: acceptAssignment,
        onConnection: (state) =>
          state === 'offline'
            ? setStatus('offline', 'Cannot reach the Coord server; retrying')
            : setStatus(settledStatus(), 'Connected to the Coord server again'),
        // Retrying cannot help: stop claiming, let active attempts finish, then end the stream.
        onFatal: (error) => void shutdown('drain', error.message),
        reportError,
      });
      hints = createHintLoop({
        clock,
        hints: (signal, onOpen) => client.hints(current.runnerId, signal, onOpen),
        onHint: (attemptId) => {
          const record = active.get(attemptId);
          record?.lease.renewNow();
        },
        onOpen: () => {
          for (const record of active.values()) record.lease.renewNow();
        },
      });
      // Attempts a crashed run left unreported go first: their jobs are requeued before we claim.
      const claimLoop = claims;
      deliver = createCompletionDelivery({
        client,
        spool,
        clock,
        runnerId: current.runnerId,
        stopped,
        deliveryGraceMs,
        reportError,
      });
      const recovery = recoverUnfinished({
        spool,
        clock,
        uploaderFor,
        deliver,
        emit,
        reportError,
        isStopping: () => stopping,
        isActive: (attemptId) => active.has(attemptId),
      });
      loop = recovery.then(() => claimLoop.run()).catch(reportError);
      hintsDone = hints.run().catch(reportError);
      return registration;
    },
    stop: ({ mode = 'drain' } = {}) => shutdown(mode),
    answer: (interactionId, answer) => {
      const owner = [...active.values()].find((r) => r.interactions.has(interactionId));
      return owner
        ? owner.interactions.answer(interactionId, answer)
        : client.answerInteraction(interactionId, { answer, by: 'runner' });
    },
    activeAttempts: () =>
      [...active.values()].map((r) => ({
        jobId: r.jobId,
        attemptId: r.attemptId,
        attemptNumber: r.attemptNumber,
        title: r.title,
        state: r.state,
      })),
  };
}

/**
 * A local job's output files are its deliverable, shown to people: like the pre-push scan for a
 * repository job, none may carry one of the runner's own secrets (the agent could have read them).
 */
async function refuseLeakingOutputs(files: LocalOutputFile[]): Promise<void> {
  const leaking: string[] = [];
  for (const file of files) if (containsRegisteredSecret(await file.read())) leaking.push(file.path);
  if (leaking.length === 0) return;
  throw new CoordError(
    'artifact.secret_detected',
    `Refusing to upload ${leaking.slice(0, 5).join(', ')}${leaking.length > 5 ? ` and ${leaking.length - 5} more` : ''}: ` +
      "the output holds one of the runner's own secrets (its Coord token or an API key). Remove it, and revoke it if it is real, then run the job again.",
  );
}

/** Waits for a promise, but no longer than `ms`. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
