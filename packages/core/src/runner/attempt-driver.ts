import type { Assignment, AssignmentEnvelope } from '@coord/runner-protocol';
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import type { AgentEvent } from '../agents/agent-event.js';
import { createSecretSafeChunker } from '../agents/secret-safe-chunks.js';
import { createStreamedMarker } from '../agents/streamed-marker.js';
import type { CoordClient } from '../client/coord-client.js';
import { isCoordError, toErrorPayload, type ErrorPayload } from '../errors.js';
import { fitEventData } from '../events/fit-event.js';
import { isoTime } from '../events/iso-time.js';
import type { AttemptState, JobEvent, JobEventDraft, RunnerEvent } from '../events/runner-event.js';
import {
  attemptStateOf,
  type attemptMachine,
  type AttemptMachineContext,
  type Reattach,
  type ResumableStep,
} from '../machine/attempt-machine.js';
import type { PermissionSettings } from '../policy/permission-policy.js';
import { redactJson } from '../redact.js';
import type { EventSpool } from '../store/event-spool.js';
import { attemptMachineFor, bindAttempt } from './attempt-actors.js';
import { checkpointOf } from './checkpoint.js';
import { completionRequest, finishedData, type DeliverCompletion } from './completion.js';
import { createCostBudget } from './cost-budget.js';
import type { EventUploader } from './event-uploader.js';
import { createInteractions, unresolvedInteractions, type Interactions } from './interactions.js';
import { createLeaseKeeper } from './lease-keeper.js';
import type {
  AgentPort,
  AgentRun,
  Clock,
  LocalWorkspacePort,
  PreparedWorkspace,
  RepositoryWorkspacePort,
} from './ports.js';
import type { Backoff } from '../retry.js';
import type { RunnerSession } from './session.js';

export interface ActiveAttemptView {
  jobId: string;
  attemptId: string;
  attemptNumber: number;
  title: string;
  state: AttemptState;
  /** The branch a repository job commits to, once its workspace is prepared (null before, and for local jobs). */
  branch: string | null;
}

/** How attempts run on this runner: its defaults and options, resolved. */
export interface AttemptSettings {
  stopGraceMs: number;
  deliveryGraceMs: number;
  interactionTimeoutMs: number;
  permissions: PermissionSettings;
  homeDir: string;
  protectedPaths: readonly string[];
  keepWorkTrees: boolean;
  /** No agent output for this long (while not waiting for an answer) is a stall. */
  agentStallMs: number;
  /** In-place retries of transient agent failures: at most this many, and within the job's budget. */
  maxAgentRetries: number;
  agentRetryBackoff: Backoff;
  /**
   * Kills what an agent start of a killed run left running, found by its `ATTEMPT_RUN_ENV`
   * marker; resolves with how many. Absent: nothing can be found (a watchdog may still do it).
   */
  stopLeftoverProcesses?: ((attemptRunMarker: string) => Promise<number>) | undefined;
}

/** What an attempt needs from its runner: the session, the ports, and where its events go. */
export interface AttemptDeps {
  session: RunnerSession;
  client: CoordClient;
  spool: EventSpool;
  clock: Clock;
  repositories: RepositoryWorkspacePort | undefined;
  local: LocalWorkspacePort | undefined;
  settings: AttemptSettings;
  uploaderFor(attemptId: string, onLeaseLost: (error: unknown) => void): EventUploader;
  deliver: DeliverCompletion;
  emit(event: RunnerEvent): void;
  reportError(error: unknown): void;
  /** Runs `wait` (a lock the attempt waits on) without holding the attempt's slot. */
  whileWaiting<T>(attemptId: string, wait: () => Promise<T>): Promise<T>;
  /** The attempt begins (before its first event) / is over (done, lease lost, or its machine failed). */
  onStarted(attempt: Attempt): void;
  onEnded(attempt: Attempt): void;
}

/** A claimed attempt: what the server sent, and what eligibility made of it. */
export interface ClaimedAttempt {
  envelope: AssignmentEnvelope;
  /** Null when the job could not be read (then `rejection` says why). */
  assignment: Assignment | null;
  agent: AgentPort | null;
  /** Set when the attempt cannot run: it is reported failed with this at once. */
  rejection: ErrorPayload | null;
}

/** One attempt as the runner sees it. */
export interface Attempt {
  readonly attemptId: string;
  view(): ActiveAttemptView;
  /** Resolves once the attempt is over. */
  readonly done: Promise<void>;
  /** Graceful stop: the agent saves its session, the attempt ends `stopped`. */
  stop(): void;
  /** Forced stop: the agent is killed at once, the attempt ends `stopped`. */
  stopNow(): void;
  /** Renews the lease now: a hint said a control waits. */
  renewNow(): void;
  /**
   * The server takes calls again (a new sign-in): renew, upload and show waiting questions now,
   * not at the next backoff.
   */
  retryNow(): void;
  readonly interactions: Pick<Interactions, 'has' | 'answer'>;
}

/** The attempt's working state, shared by its driver and its machine's actors. */
export interface AttemptRecord {
  readonly claim: ClaimedAttempt;
  readonly jobId: string;
  readonly attemptId: string;
  readonly attemptNumber: number;
  readonly uploader: EventUploader;
  state: AttemptState;
  prepared: PreparedWorkspace | null;
  workDir: string | null;
  agentRun: AgentRun | null;
  /** The session the agent said it runs (`session.started`): what a restart resumes. */
  agentSessionId: string | null;
  /**
   * The marker of the agent start now (or last) under way, in its processes' environment and in
   * the checkpoint; after a restart, the killed run's, until its leftovers are stopped.
   */
  agentRunMarker: string | null;
  leaseLost: boolean;
  /** Set once `job.finished` is spooled: later events (the final state) stay local. */
  reported: boolean;
  /** The one door for the attempt's events (see `emitJob`). */
  emit(event: JobEventDraft): void;
  /** Normalized agent output: re-cut, shown and spooled, and acted on (budget, questions). */
  onAgentEvent(event: AgentEvent): void;
  /** The agent's try ended: what the chunker holds is emitted, what it asked is closed. */
  onAgentRunEnded(): void;
  /** The agent said its session: the checkpoint is written again with it. */
  onAgentSession(sessionId: string): void;
  /** An agent start is about to carry `marker`: the checkpoint says so before it starts. */
  onAgentRunMarker(marker: string): void;
  /** Writes the checkpoint of the state the machine enters (its `checkpoint` action). */
  checkpoint(step: ResumableStep, context: AttemptMachineContext): void;
}

/**
 * Runs one claimed attempt through its machine: its lease kept, its events redacted, spooled and
 * shown, people's controls and answers applied, its checkpoint written at every state change, and
 * its end reported. With `reattach`, a restarted runner takes up an attempt its earlier run left:
 * the machine starts at the checkpoint's step, in the same work dir, and the events go on from
 * the spool's last seq.
 */
export function startAttempt(
  deps: AttemptDeps,
  claim: ClaimedAttempt,
  reattach: {
    at: Reattach;
    prepared: PreparedWorkspace | null;
    agentRunMarker?: string | null;
  } | null = null,
): Attempt {
  const { spool, clock, session, client, settings } = deps;
  const { attempt: info } = claim.envelope;
  const spec = claim.assignment?.job.spec;
  const title = spec?.title ?? '(unreadable job)';
  let actor: Actor<typeof attemptMachine> | null = null;
  let ended = false;
  let markDone!: () => void;
  const done = new Promise<void>((resolve) => (markDone = resolve));
  const chunker = createSecretSafeChunker();
  const markStreamed = createStreamedMarker();
  const budget = createCostBudget(spec?.agent.maxCostUsd);

  /**
   * Redacts a job event, spools it (so it reaches the server), then shows it to subscribers. The
   * one door for job events: nothing unredacted is spooled, shown or sent.
   */
  function emitJob(event: JobEventDraft): void {
    const at = clock.now();
    const redacted = redactJson(event);
    // Object.assign rather than `{ ...redacted, at, … }`: Node 20's V8 adds keys to a spread copy
    // on a slow path (over a microsecond per key), and this runs for every job event.
    const full = Object.assign({}, redacted, { at, jobId: info.jobId, attemptId: info.id }) as JobEvent;
    if (!record.leaseLost && !record.reported) {
      const { type, ...data } = redacted;
      try {
        spool.append(info.id, { type, at: isoTime(at), data: fitEventData(data) });
        record.uploader.notify();
      } catch (error) {
        deps.reportError(error);
      }
    }
    deps.emit(full);
  }

  function onAgentEventCut(event: AgentEvent): void {
    emitJob({ type: 'job.agent', event });
    if (event.type === 'usage') {
      const exceeded = budget.spend(event);
      if (exceeded) {
        // The agent is stopped, and the attempt fails saying so.
        emitJob({ type: 'job.log', level: 'warn', message: exceeded });
        actor?.send({
          type: 'STOP',
          failure: { code: 'agent.budget_exceeded', message: exceeded, retryable: false },
        });
      }
    }
    interactions.onAgentEvent(event);
  }

  const record: AttemptRecord = {
    claim,
    jobId: info.jobId,
    attemptId: info.id,
    attemptNumber: info.number,
    uploader: deps.uploaderFor(info.id, (error) => onLeaseLost(error)),
    state: 'claimed',
    prepared: reattach?.prepared ?? null,
    workDir: reattach?.at.workDir ?? null,
    agentRun: null,
    agentSessionId: null,
    agentRunMarker: reattach?.agentRunMarker ?? null,
    leaseLost: false,
    reported: false,
    emit: emitJob,
    onAgentEvent: (event) => {
      for (const cut of chunker.push(event)) onAgentEventCut(markStreamed(cut));
    },
    onAgentRunEnded: () => {
      for (const held of chunker.flush()) emitJob({ type: 'job.agent', event: markStreamed(held) });
      interactions.withdrawAll();
    },
    onAgentSession: (sessionId) => {
      record.agentSessionId = sessionId;
      if (last) record.checkpoint(last.step, last.context);
    },
    onAgentRunMarker: (marker) => {
      record.agentRunMarker = marker;
      if (last) record.checkpoint(last.step, last.context);
    },
    checkpoint: (step, context) => {
      last = { step, context };
      if (record.leaseLost || record.reported) return;
      const checkpoint = checkpointOf(step, context, {
        prepared: record.prepared,
        agentSessionId: record.agentSessionId,
        agentRunMarker: record.agentRunMarker,
        nextSeq: spool.lastSeq(info.id) + 1,
      });
      try {
        // The agent's summary and errors are its words: redacted like its events before they reach the disk.
        spool.checkpoint(info.id, redactJson(checkpoint));
      } catch (error) {
        deps.reportError(error);
      }
    },
  };
  /** The step and context of the last checkpoint, written again when the agent says its session. */
  let last: { step: ResumableStep; context: AttemptMachineContext } | null = null;

  const interactions = createInteractions({
    clock,
    timeoutMs: settings.interactionTimeoutMs,
    policy: {
      settings: settings.permissions,
      jobMode: spec?.agent.permissionMode,
      home: settings.homeDir,
      protectedPaths: settings.protectedPaths,
      workDir: () => record.workDir ?? '',
    },
    put: (interactionId, request) => client.putInteraction(session.runnerId, info.id, interactionId, request),
    answer: (interactionId, answer) => client.answerInteraction(interactionId, { answer, by: 'runner' }),
    respond: (requestId, answer) => record.agentRun?.respond(requestId, answer),
    emit: emitJob,
    onWaiting: () => actor?.send({ type: 'INPUT_REQUESTED' }),
    onAllAnswered: () => actor?.send({ type: 'INPUT_RESOLVED' }),
    reportError: deps.reportError,
  });

  const lease = createLeaseKeeper({
    clock,
    renewMs: session.timings.leaseRenewMs,
    renew: () => client.renewLease(session.runnerId, info.id, { state: record.state }),
    onControls: (controls) => {
      for (const control of controls) {
        if (control.type === 'cancel') actor?.send({ type: 'CANCEL', reason: control.reason });
        else if (control.type === 'stop')
          actor?.send({
            type: 'STOP',
            ...(control.graceMs !== undefined ? { graceMs: control.graceMs } : {}),
          });
        else interactions.resolve(control.interactionId, control.answer, 'web');
      }
    },
    onGone: (error) => onLeaseLost(error),
    reportError: deps.reportError,
  });

  /** The attempt is no longer this runner's (lease lost, or the server refuses it for good). */
  function onLeaseLost(error?: unknown): void {
    if (record.leaseLost) return;
    const refused = error !== undefined && (!isCoordError(error) || error.code !== 'lease.lost');
    emitJob({
      type: 'job.log',
      level: 'warn',
      message: refused
        ? `The server refuses this attempt (${toErrorPayload(error).message}); stopping it without reporting.`
        : 'The server gave this attempt to someone else (lease lost); stopping it without reporting.',
    });
    record.leaseLost = true;
    try {
      spool.finish(info.id);
    } catch (error) {
      deps.reportError(error);
    }
    record.agentRun?.kill();
    actor?.send({ type: 'LEASE_LOST' });
  }

  function onSnapshot(snapshot: SnapshotFrom<typeof attemptMachine>): void {
    const state = attemptStateOf(snapshot.value);
    if (state !== record.state) {
      record.state = state;
      emitJob({ type: 'job.state', state });
    }
    if (snapshot.status === 'done') end();
  }

  function end(): void {
    if (ended) return;
    ended = true;
    lease.stop();
    interactions.close();
    record.uploader.stop();
    markDone();
    deps.onEnded(handle);
  }

  const handle: Attempt = {
    attemptId: info.id,
    view: () => ({
      jobId: info.jobId,
      attemptId: info.id,
      attemptNumber: info.number,
      title,
      state: record.state,
      branch: record.prepared?.branch ?? null,
    }),
    done,
    stop: () => actor?.send({ type: 'STOP' }),
    stopNow: () => actor?.send({ type: 'STOP_NOW' }),
    renewNow: () => lease.renewNow(),
    retryNow: () => {
      lease.renewNow();
      record.uploader.retryNow();
      interactions.republish();
    },
    interactions,
  };

  try {
    deps.onStarted(handle);
    if (reattach) {
      // The spool has held this attempt since its claim: its events go on from their last seq.
      emitJob({
        type: 'job.log',
        level: 'info',
        message: `The runner restarted and took this attempt up again at ${reattach.at.step}${
          reattach.at.step === 'running' && reattach.at.agentSessionId
            ? `, resuming agent session ${reattach.at.agentSessionId}`
            : ''
        }.`,
      });
      try {
        interactions.withdrawLeft(unresolvedInteractions(spool, info.id));
      } catch (error) {
        deps.reportError(error);
      }
    } else {
      try {
        spool.begin({ attemptId: info.id, jobId: info.jobId, attemptNumber: info.number });
      } catch (error) {
        deps.reportError(error);
      }
      emitJob({
        type: 'job.claimed',
        attemptNumber: info.number,
        workspaceId: info.workspaceId,
        title,
        agent: spec?.agent.id ?? null,
      });
    }
    lease.start();
    actor = createActor(attemptMachineFor(deps), {
      input: {
        jobId: info.jobId,
        attemptId: info.id,
        rejection: claim.rejection,
        resumeSessionId: info.previousSessionId,
        // The job's budget counts every try: the attempts before this one, and this one's retries.
        maxRetries: Math.max(0, Math.min(settings.maxAgentRetries, (spec?.maxAttempts ?? 1) - info.number)),
        reattach: reattach?.at ?? null,
      },
    });
    bindAttempt(actor.system, record);
    actor.subscribe({ next: onSnapshot, error: (error) => void abandon(error) });
    actor.start();
  } catch (error) {
    void abandon(error);
  }
  return handle;

  /**
   * The machine could not start or broke (a fault of the runner, not of the job): the agent is
   * stopped and the attempt reported failed, retryably, so the server gives the job another try
   * at once rather than after a lease that would otherwise be renewed with nothing running.
   */
  async function abandon(error: unknown): Promise<void> {
    deps.reportError(error);
    record.agentRun?.kill();
    if (!record.leaseLost && !record.reported) {
      const failure: ErrorPayload = {
        code: 'runner.internal',
        message: `The runner failed while running this attempt (${toErrorPayload(error).message}); it is reported failed so that the job can be tried again.`,
        retryable: true,
      };
      try {
        const finished = finishedData({ outcome: 'failed', error: failure }, null, null);
        emitJob({ type: 'job.log', level: 'error', message: failure.message });
        emitJob({ type: 'job.finished', ...finished });
        record.reported = true;
        await deps.deliver(record, completionRequest(finished, spool.lastSeq(info.id)));
      } catch (reportError) {
        // Not even a report: the lease, no longer renewed, lets the server requeue the job.
        deps.reportError(reportError);
      }
    }
    end();
  }
}
