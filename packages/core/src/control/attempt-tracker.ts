import type { Observable, Subscription } from 'rxjs';
import type { AgentEvent } from '../agents/agent-event.js';
import type { RunnerEvent, RunnerEventOf, RunnerStatus } from '../events/runner-event.js';
import type { HistoryEntry, UsageTotals, WaitingInteraction } from './control-api.js';

/** What the events have said about one attempt so far. */
export interface TrackedAttempt {
  jobId: string;
  attemptId: string;
  attemptNumber: number | null;
  title: string | null;
  workspaceId: string | null;
  agent: HistoryEntry['agent'];
  startedAt: number;
  lastLine: string | null;
  usage: UsageTotals | null;
  waiting: Map<string, WaitingInteraction>;
}

export interface RunnerConnection {
  runnerId: string | null;
  status: RunnerStatus;
  message: string | null;
  since: number | null;
}

export interface AttemptTracker {
  /** Attempts that have not finished, by attempt id. */
  attempts(): ReadonlyMap<string, TrackedAttempt>;
  /** A connection's state by name (a lone runner's status events name none: `''`). */
  connection(name?: string): RunnerConnection;
  /** Some connection waits for a new sign-in. */
  anySignedOut(): boolean;
  /** Stops listening. */
  close(): void;
}

const LAST_LINE_MAX = 240;

/**
 * Folds `events$` into what status snapshots and the history need, and nothing else: the runner
 * stays the owner of the attempts' state (`activeAttempts()`); this keeps what only the events
 * say (agent, start time, latest output line, usage, waiting interactions). A finished attempt
 * leaves the fold as a history entry handed to `onFinished`.
 */
export function trackAttempts(
  events$: Observable<RunnerEvent>,
  options: { onFinished?: (entry: HistoryEntry) => void; onError?: (error: unknown) => void } = {},
): AttemptTracker {
  const live = new Map<string, TrackedAttempt>();
  const connections = new Map<string, RunnerConnection>();
  const starting: RunnerConnection = { runnerId: null, status: 'starting', message: null, since: null };

  /** A claim (or, for an attempt a crashed run left, its finish) opens an attempt's record. */
  const open = (event: Extract<RunnerEvent, { attemptId: string }>): TrackedAttempt => {
    let tracked = live.get(event.attemptId);
    if (!tracked) {
      tracked = {
        jobId: event.jobId,
        attemptId: event.attemptId,
        attemptNumber: null,
        title: null,
        workspaceId: null,
        agent: null,
        startedAt: event.at,
        lastLine: null,
        usage: null,
        waiting: new Map(),
      };
      live.set(event.attemptId, tracked);
    }
    return tracked;
  };
  /** Events after the finish (the final state) find no record and change nothing. */
  const known = (event: Extract<RunnerEvent, { attemptId: string }>) => live.get(event.attemptId);

  const subscription: Subscription = events$.subscribe((event) => {
    try {
      switch (event.type) {
        case 'runner.status': {
          const name = event.connection ?? '';
          connections.set(name, {
            runnerId: event.runnerId ?? connections.get(name)?.runnerId ?? null,
            status: event.status,
            message: event.message ?? null,
            since: event.at,
          });
          return;
        }
        case 'runner.error':
          return;
        case 'job.claimed': {
          const tracked = open(event);
          tracked.attemptNumber = event.attemptNumber;
          tracked.title = event.title;
          tracked.workspaceId = event.workspaceId;
          tracked.agent = event.agent;
          tracked.startedAt = event.at;
          return;
        }
        case 'job.log': {
          const tracked = known(event);
          if (tracked) tracked.lastLine = oneLine(event.message);
          return;
        }
        case 'job.agent': {
          const tracked = known(event);
          if (tracked) observeAgent(tracked, event.event);
          return;
        }
        case 'interaction.requested':
          known(event)?.waiting.set(event.interactionId, {
            interactionId: event.interactionId,
            jobId: event.jobId,
            attemptId: event.attemptId,
            // As the runner sent it; the snapshot's schema fills in the defaults.
            request: event.request as WaitingInteraction['request'],
            since: event.at,
          });
          return;
        case 'interaction.resolved':
          known(event)?.waiting.delete(event.interactionId);
          return;
        case 'job.finished':
          finish(open(event), event);
          return;
        case 'job.state':
        case 'approval.decided':
          return;
      }
    } catch (error) {
      options.onError?.(error);
    }
  });

  function finish(tracked: TrackedAttempt, event: RunnerEventOf<'job.finished'>): void {
    live.delete(tracked.attemptId);
    options.onFinished?.({
      attemptId: tracked.attemptId,
      jobId: tracked.jobId,
      // Only an attempt recovered after a restart finishes without a claim in this run.
      attemptNumber: tracked.attemptNumber ?? 1,
      title: tracked.title ?? '',
      workspaceId: tracked.workspaceId,
      agent: tracked.agent,
      outcome: event.outcome,
      summary: event.summary,
      pullRequest: event.pullRequest,
      error: event.error
        ? { code: event.error.code, message: event.error.message, retryable: event.error.retryable }
        : null,
      startedAt: tracked.startedAt,
      finishedAt: event.at,
      durationMs: Math.max(0, event.at - tracked.startedAt),
      usage: tracked.usage,
    });
  }

  return {
    attempts: () => live,
    connection: (name = '') => connections.get(name) ?? starting,
    anySignedOut: () => [...connections.values()].some((c) => c.status === 'signed_out'),
    close: () => subscription.unsubscribe(),
  };
}

function observeAgent(tracked: TrackedAttempt, event: AgentEvent): void {
  switch (event.type) {
    case 'usage': {
      const before = tracked.usage ?? {
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        costUsd: null,
      };
      const add = (a: number, b: number) => (event.cumulative ? b : a + b);
      tracked.usage = {
        inputTokens: add(before.inputTokens, event.inputTokens),
        outputTokens: add(before.outputTokens, event.outputTokens),
        cachedInputTokens: add(before.cachedInputTokens, event.cachedInputTokens ?? 0),
        costUsd:
          event.costUsd === undefined
            ? before.costUsd
            : event.cumulative
              ? event.costUsd
              : (before.costUsd ?? 0) + event.costUsd,
      };
      return;
    }
    case 'message.completed':
      tracked.lastLine = lastLineOf(event.text) ?? tracked.lastLine;
      return;
    case 'tool.started':
      tracked.lastLine = oneLine(`${event.name}${event.title ? ` ${event.title}` : ''}`);
      return;
    case 'tool.output':
      tracked.lastLine = lastLineOf(event.chunk) ?? tracked.lastLine;
      return;
    case 'stderr':
    case 'warning':
      tracked.lastLine = oneLine(event.type === 'stderr' ? event.line : event.message);
      return;
    default:
      return;
  }
}

function lastLineOf(text: string): string | null {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  return lines.length ? oneLine(lines[lines.length - 1]!) : null;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > LAST_LINE_MAX ? `${flat.slice(0, LAST_LINE_MAX - 1)}…` : flat;
}
