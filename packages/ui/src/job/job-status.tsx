import type { AttemptStatus, JobStatus } from '@coord/runner-protocol';

/** The board's columns, in order, with the words people read. */
export const JOB_STATUSES: readonly { status: JobStatus; label: string }[] = [
  { status: 'backlog', label: 'Backlog' },
  { status: 'ready', label: 'Ready' },
  { status: 'in_progress', label: 'In Progress' },
  { status: 'awaiting_review', label: 'Awaiting Review' },
  { status: 'done', label: 'Done' },
  { status: 'failed', label: 'Failed' },
  { status: 'cancelled', label: 'Cancelled' },
];

export const jobStatusLabel = (status: JobStatus): string =>
  JOB_STATUSES.find((s) => s.status === status)?.label ?? status;

const ATTEMPT_LABEL: Record<AttemptStatus, string> = {
  active: 'Running',
  succeeded: 'Succeeded',
  no_changes: 'No changes',
  failed: 'Failed',
  cancelled: 'Cancelled',
  stopped: 'Stopped',
  lost: 'Lost',
};
/** Also drawn for outcomes read from an attempt's log, as sent: an own key only, else the word itself. */
export const attemptStatusLabel = (status: AttemptStatus): string =>
  Object.hasOwn(ATTEMPT_LABEL, status) ? ATTEMPT_LABEL[status] : status;

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return (
    <span className={`cr-status cr-status-${status}`}>
      <span className="cr-status-dot" aria-hidden="true" />
      {jobStatusLabel(status)}
    </span>
  );
}

export function AttemptStatusBadge({ status }: { status: AttemptStatus }) {
  return (
    <span className={`cr-status cr-attempt-${status}`}>
      <span className="cr-status-dot" aria-hidden="true" />
      {attemptStatusLabel(status)}
    </span>
  );
}
