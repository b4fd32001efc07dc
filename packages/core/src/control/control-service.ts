import { Observable } from 'rxjs';
import { toErrorPayload } from '../errors.js';
import type { Runner } from '../runner/runner.js';
import { systemClock, type Clock } from '../runner/ports.js';
import type { SpoolReader } from './spool-reader.js';
import { trackAttempts, type AttemptTracker } from './attempt-tracker.js';
import {
  CONTROL_API_VERSION,
  controlAnswerSchemas,
  controlCallSchema,
  controlEnvelopeSchema,
  controlSubscriptionSchema,
  type ActiveAttempt,
  type AgentRow,
  type ControlErrorPayload,
  type ControlPush,
  type ControlReply,
  type LogPage,
  type ParsedControlCall,
  type Setting,
  type StatusSnapshot,
  type StopMode,
} from './control-api.js';
import { ControlError } from './control-error.js';
import type { HistoryStore } from './history-store.js';

/**
 * What only the composition root can do (core does not know where settings live or how agents
 * are found): each is optional, and a method without its handler answers `control.unavailable`.
 */
export interface ControlHandlers {
  agents?: {
    list(options: { rescan: boolean }): Promise<AgentRow[]>;
    setEnabled(id: string, enabled: boolean): Promise<AgentRow[]>;
  };
  settings?: {
    list(): Setting[];
    get(key: string): Setting;
    set(key: string, value: string): Setting;
  };
  /** A person asked the runner to stop (so its owner can tell that stop from a failure). */
  onStop?: (mode: StopMode) => void;
}

export interface ControlServiceOptions {
  runner: Runner;
  /** Where attempts' logs are read (`spoolsReader` over several connections' spools). */
  spool: SpoolReader;
  history: HistoryStore;
  /** The Coord server the runner talks to (shown in status). */
  server: string;
  /**
   * A runner with several connections (`createRunnerGroup`): each by the name its status events
   * carry. Without it, the runner's one connection is `server`.
   */
  connections?: readonly { name: string; server: string }[];
  capacity: number;
  runnerVersion: string;
  stateDir: string;
  pid?: number;
  handlers?: ControlHandlers;
  /** Times in status, and the history's warm-up (the system clock by default). */
  clock?: Clock;
  /** History or tracking failed (a full disk): the runner keeps running; people are told. */
  onError?: (error: unknown) => void;
}

export interface ControlService {
  /** Answers one request (any JSON: it is validated here). Never throws. */
  call(message: unknown): Promise<ControlReply>;
  /** A stream of pushes, or the error that refused the subscription. */
  subscribe(message: unknown): { pushes$: Observable<ControlPush> } | { error: ControlErrorPayload };
  close(): void;
}

const LOG_PAGE = 500;

/**
 * The control API over a runner (DESIGN.md section 11). Create it before `runner.start()`: it
 * folds `events$` (hot) from the first event, and records every finished attempt in the history.
 */
/** After the runner is up: soon enough for the first look at History, late enough not to slow the start. */
const HISTORY_WARM_UP_MS = 200;

export function createControlService(options: ControlServiceOptions): ControlService {
  const { runner, spool, history } = options;
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const tracker: AttemptTracker = trackAttempts(runner.events$, {
    onFinished: (entry) => {
      try {
        history.record(entry);
      } catch (error) {
        options.onError?.(error);
      }
    },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  let stopped = false;
  runner.events$.subscribe({ complete: () => (stopped = true) });
  // The history is read on first use; read it just after the runner is up instead, so the first
  // person to open it (the desktop's History tab, `coord-runner history`) does not wait for it.
  const warm = clock.setTimeout(() => {
    if (stopped) return;
    try {
      history.size();
    } catch (error) {
      options.onError?.(error);
    }
  }, HISTORY_WARM_UP_MS);

  function status(): StatusSnapshot {
    const tracked = tracker.attempts();
    const at = now();
    const active: ActiveAttempt[] = runner.activeAttempts().map((a) => {
      const t = tracked.get(a.attemptId);
      return {
        jobId: a.jobId,
        attemptId: a.attemptId,
        attemptNumber: a.attemptNumber,
        title: a.title,
        workspaceId: t?.workspaceId ?? null,
        agent: t?.agent ?? null,
        state: a.state,
        startedAt: t?.startedAt ?? null,
        elapsedMs: t ? Math.max(0, at - t.startedAt) : null,
        lastLine: t?.lastLine ?? null,
        branch: a.branch,
      };
    });
    const named = options.connections ?? [{ name: '', server: options.server }];
    return {
      version: CONTROL_API_VERSION,
      runnerVersion: options.runnerVersion,
      pid: options.pid ?? process.pid,
      stateDir: options.stateDir,
      connections: named.map(({ name, server }) => {
        const connection = tracker.connection(name);
        return {
          ...(name ? { name } : {}),
          server,
          runnerId: connection.runnerId ?? (options.connections ? null : runner.runnerId),
          status: stopped ? 'stopped' : connection.status,
          message: connection.message,
          since: connection.since,
        };
      }),
      capacity: options.capacity,
      active,
      waiting: [...tracked.values()].flatMap((t) => [...t.waiting.values()]),
      at,
    };
  }

  const isActive = (attemptId: string) => runner.activeAttempts().some((a) => a.attemptId === attemptId);

  /** A job id means its newest attempt here: running now, else the latest in the history. */
  function resolveAttempt(job: string): { jobId: string; attemptId: string } {
    const active = runner.activeAttempts();
    const byAttempt = active.find((a) => a.attemptId === job) ?? history.get(job);
    if (byAttempt) return { jobId: byAttempt.jobId, attemptId: byAttempt.attemptId };
    const ofJob = active.filter((a) => a.jobId === job).sort((a, b) => b.attemptNumber - a.attemptNumber)[0];
    const found = ofJob ?? history.latestOfJob(job);
    if (found) return { jobId: found.jobId, attemptId: found.attemptId };
    throw new ControlError(
      'control.not_found',
      `This runner has no job or attempt "${job}" (running now or in its history).`,
      'List them with `coord-runner jobs` (running) or `coord-runner history` (finished).',
    );
  }

  function logPage(target: { jobId: string; attemptId: string }, afterSeq: number, limit: number): LogPage {
    const events = spool.read(target.attemptId, afterSeq, limit);
    const lastSeq = events.length ? events[events.length - 1]!.seq : afterSeq;
    // Nothing is spooled after `job.finished`, so the log is complete once it is read, even while
    // the attempt is still delivering its completion (and may say nothing more on events$).
    const finishedRead = events.at(-1)?.type === 'job.finished';
    const newestSeq = spool.lastSeq(target.attemptId);
    return {
      ...target,
      events,
      lastSeq,
      newestSeq,
      finished: (finishedRead || !isActive(target.attemptId)) && lastSeq >= newestSeq,
    };
  }

  async function dispatch(call: ParsedControlCall): Promise<unknown> {
    switch (call.method) {
      case 'status':
        // Signed out: someone asking may just have signed in (`coord-runner login`, then `status`).
        if (tracker.anySignedOut()) await runner.checkSignIn();
        return status();
      case 'history':
        return history.query({ filter: call.filter, cursor: call.cursor, limit: call.limit });
      case 'log':
        return logPage(resolveAttempt(call.job), call.afterSeq, call.limit);
      case 'answer': {
        const waiting = [...tracker.attempts().values()].some((t) => t.waiting.has(call.interactionId));
        if (!waiting) {
          throw new ControlError(
            'control.not_found',
            `No question or approval "${call.interactionId}" is waiting on this runner (it may have been answered already).`,
            'See what is waiting with `coord-runner status`.',
          );
        }
        return runner.answer(call.interactionId, call.answer);
      }
      case 'stop': {
        const active = runner.activeAttempts().length;
        options.handlers?.onStop?.(call.mode);
        runner.stop({ mode: call.mode }).catch((error: unknown) => options.onError?.(error));
        return { mode: call.mode, active };
      }
      case 'job.stop': {
        const target = resolveAttempt(call.job);
        if (!runner.stopAttempt(target.attemptId)) {
          throw new ControlError(
            'control.not_found',
            `Job ${target.jobId} is not running on this runner (its attempt ${target.attemptId} has finished).`,
            'See what is running with `coord-runner jobs`.',
          );
        }
        return target;
      }
      case 'agents.list': {
        if (!options.handlers?.agents) throw unavailable('agents');
        return { agents: await options.handlers.agents.list({ rescan: call.rescan }) };
      }
      case 'agents.set': {
        if (!options.handlers?.agents) throw unavailable('agents');
        return { agents: await options.handlers.agents.setEnabled(call.id, call.enabled) };
      }
      case 'settings.list':
        if (!options.handlers?.settings) throw unavailable('settings');
        return { settings: options.handlers.settings.list() };
      case 'settings.get':
        if (!options.handlers?.settings) throw unavailable('settings');
        return options.handlers.settings.get(call.key);
      case 'settings.set':
        if (!options.handlers?.settings) throw unavailable('settings');
        return options.handlers.settings.set(call.key, call.value);
    }
  }

  function followLog(target: { jobId: string; attemptId: string }, from: number): Observable<ControlPush> {
    return new Observable<ControlPush>((subscriber) => {
      let afterSeq = from;
      /** Pushes everything spooled past `afterSeq`; true once the attempt has finished. */
      const drain = (): boolean => {
        for (;;) {
          const page = logPage(target, afterSeq, LOG_PAGE);
          if (page.events.length) subscriber.next({ kind: 'log', page });
          afterSeq = page.lastSeq;
          if (page.finished) return true;
          if (page.events.length < LOG_PAGE) return false;
        }
      };
      const end = (reason: 'runner_stopped' | 'attempt_finished') => {
        subscriber.next({ kind: 'end', reason });
        subscriber.complete();
      };
      // Live events say when to read; the spool says what: no gap, no duplicate, one numbering.
      const live = runner.events$.subscribe({
        next: (event) => {
          if (subscriber.closed || !('attemptId' in event) || event.attemptId !== target.attemptId) return;
          try {
            if (drain() || event.type === 'job.finished') end('attempt_finished');
          } catch (error) {
            subscriber.error(error);
          }
        },
        complete: () => {
          if (!subscriber.closed) {
            drain();
            end('runner_stopped');
          }
        },
      });
      try {
        if (drain() || stopped) end(stopped ? 'runner_stopped' : 'attempt_finished');
      } catch (error) {
        subscriber.error(error);
      }
      return () => live.unsubscribe();
    });
  }

  function eventsStream(): Observable<ControlPush> {
    return new Observable<ControlPush>((subscriber) => {
      if (stopped) {
        subscriber.next({ kind: 'end', reason: 'runner_stopped' });
        subscriber.complete();
        return undefined;
      }
      const live = runner.events$.subscribe({
        next: (event) => subscriber.next({ kind: 'event', event }),
        complete: () => {
          subscriber.next({ kind: 'end', reason: 'runner_stopped' });
          subscriber.complete();
        },
      });
      return () => live.unsubscribe();
    });
  }

  return {
    async call(message) {
      try {
        const call = parseEnvelope(message, 'call', controlCallSchema);
        const result = await dispatch(call);
        // The answer is checked like the request: a bug here is an error, not a client's surprise.
        return { ok: true, result: controlAnswerSchemas[call.method].parse(result) };
      } catch (error) {
        return { ok: false, error: toControlError(error) };
      }
    },
    subscribe(message) {
      try {
        const subscription = parseEnvelope(message, 'subscribe', controlSubscriptionSchema);
        if (subscription.topic === 'events') return { pushes$: eventsStream() };
        return { pushes$: followLog(resolveAttempt(subscription.job), subscription.afterSeq) };
      } catch (error) {
        return { error: toControlError(error) };
      }
    },
    close: () => {
      clock.clearTimeout(warm);
      tracker.close();
    },
  };
}

function parseEnvelope<T>(
  message: unknown,
  field: 'call' | 'subscribe',
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: Error } },
): T {
  const envelope = controlEnvelopeSchema.safeParse(message);
  if (!envelope.success) {
    throw new ControlError('control.bad_request', 'The request has no control API version.');
  }
  if (envelope.data.version !== CONTROL_API_VERSION) {
    throw new ControlError(
      'control.unsupported_version',
      `The runner speaks control API version ${CONTROL_API_VERSION}; this client speaks version ${envelope.data.version}.`,
      'Use the same coord-runner version as the running runner (upgrade both, then restart the runner).',
    );
  }
  const parsed = schema.safeParse(envelope.data[field]);
  if (!parsed.success) {
    throw new ControlError('control.bad_request', `The ${field} is invalid: ${parsed.error.message}`);
  }
  return parsed.data;
}

function unavailable(what: string): ControlError {
  return new ControlError(
    'control.unavailable',
    `This runner does not serve ${what} over its control API.`,
    'Run the command without a runner, or upgrade the runner.',
  );
}

function toControlError(error: unknown): ControlErrorPayload {
  if (error instanceof ControlError) {
    return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { code: 'control.failed', message: toErrorPayload(error).message };
}
