import type { RunnerEvent, RunnerStatus } from '@coord/runner-core';

export interface DesktopNotification {
  title: string;
  body: string;
  jobId: string;
  /** Waits for the person (an approval, a question): stays until dismissed, and makes a sound. */
  urgent: boolean;
}

export interface AttentionCounts {
  active: number;
  waiting: number;
  /** The runner's own word for its connection (offline: the server is unreachable). */
  connection: RunnerStatus | null;
}

export interface AttentionOptions {
  notify(notification: DesktopNotification): void;
  /** The counts changed: the tray, the dock badge and the window title follow them. */
  onCounts(counts: AttentionCounts): void;
}

/**
 * What needs a person, read from the runner's events: a notification the moment an approval or a
 * question waits (it cannot be missed), a quieter one when a job ends, and the counts behind the
 * badge. An interaction answered elsewhere (the web app, the CLI) leaves the count at once.
 */
export function createAttention(options: AttentionOptions) {
  const titles = new Map<string, string>();
  const waiting = new Map<string, string>();
  let connection: AttentionCounts['connection'] = null;
  const counts = (): AttentionCounts => ({ active: titles.size, waiting: waiting.size, connection });
  const changed = () => options.onCounts(counts());

  return {
    counts,
    /** Starts over: the runner restarted, and what it had in flight is re-announced by it. */
    reset(): void {
      titles.clear();
      waiting.clear();
      connection = null;
      changed();
    },
    onEvent(event: RunnerEvent): void {
      switch (event.type) {
        case 'runner.status':
          connection = event.status;
          changed();
          return;
        case 'job.claimed':
          titles.set(event.jobId, event.title);
          changed();
          return;
        case 'interaction.requested': {
          waiting.set(event.interactionId, event.jobId);
          const title = titles.get(event.jobId) ?? event.jobId;
          const { request } = event;
          options.notify(
            request.kind === 'approval'
              ? {
                  title: `Approve ${request.toolName}?`,
                  body: `${title}: ${oneLine(request.summary)}`,
                  jobId: event.jobId,
                  urgent: true,
                }
              : {
                  title: 'The agent asks',
                  body: `${title}: ${oneLine(request.questions[0]?.text ?? '')}`,
                  jobId: event.jobId,
                  urgent: true,
                },
          );
          changed();
          return;
        }
        case 'interaction.resolved':
          if (waiting.delete(event.interactionId)) changed();
          return;
        case 'job.finished': {
          const title = titles.get(event.jobId) ?? event.jobId;
          titles.delete(event.jobId);
          for (const [id, jobId] of waiting) if (jobId === event.jobId) waiting.delete(id);
          options.notify({
            title: finishedTitle[event.outcome],
            body: event.pullRequest
              ? `${title}: pull request #${event.pullRequest.number}`
              : `${title}: ${oneLine(event.summary || event.error?.message || '')}`,
            jobId: event.jobId,
            urgent: false,
          });
          changed();
          return;
        }
        default:
          return;
      }
    },
  };
}

const finishedTitle = {
  succeeded: 'Job done',
  no_changes: 'Job done, no changes',
  failed: 'Job failed',
  cancelled: 'Job cancelled',
  stopped: 'Job stopped',
} as const;

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}
