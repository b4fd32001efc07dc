import type { AttemptView } from '@coord/runner-protocol';
import { formatCount, formatDuration, safeHref } from './format.js';
import { AttemptStatusBadge } from './job-status.js';

export interface AttemptTimelineProps {
  attempts: readonly AttemptView[];
  /** The attempt whose log is shown. */
  selected?: string;
  onSelect?(attempt: AttemptView): void;
  now?: number;
}

/** Attempts, newest first: outcome, why, how long, PR, cost. Selecting one shows its log. */
export function AttemptTimeline({ attempts, selected, onSelect, now = Date.now() }: AttemptTimelineProps) {
  if (attempts.length === 0) {
    return (
      <div className="cr-muted cr-timeline-empty">No attempt yet: the job runs once a runner takes it.</div>
    );
  }
  return (
    <ol className="cr-timeline">
      {[...attempts].reverse().map((a) => {
        const end = a.endedAt ? Date.parse(a.endedAt) : now;
        const duration = formatDuration(end - Date.parse(a.startedAt));
        const prHref = safeHref(a.pullRequest?.url);
        const cost = a.usage?.costUsd;
        return (
          <li key={a.id} className={`cr-timeline-item${a.id === selected ? ' cr-selected' : ''}`}>
            <button
              type="button"
              className="cr-timeline-button"
              onClick={() => onSelect?.(a)}
              aria-pressed={a.id === selected}
            >
              <span className="cr-timeline-number">Attempt {a.number}</span>
              <AttemptStatusBadge status={a.status} />
            </button>
            <div className="cr-timeline-meta cr-muted">
              <span>{a.runnerName}</span>
              <span>{duration}</span>
              {cost !== undefined ? <span>${cost.toFixed(2)}</span> : null}
              {a.usage ? <span>{formatCount(a.usage.inputTokens + a.usage.outputTokens)} tokens</span> : null}
            </div>
            {a.error ? (
              <div className="cr-timeline-reason">
                <code>{a.error.code}</code> {a.error.message}
              </div>
            ) : a.summary ? (
              <div className="cr-timeline-reason">{a.summary}</div>
            ) : null}
            {a.pullRequest ? (
              <div className="cr-timeline-pr">
                {prHref ? (
                  <a href={prHref} rel="noreferrer">
                    Pull request #{a.pullRequest.number}
                  </a>
                ) : (
                  <span>Pull request #{a.pullRequest.number}</span>
                )}{' '}
                <span className="cr-mono cr-muted">{a.pullRequest.branch}</span>
              </div>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
