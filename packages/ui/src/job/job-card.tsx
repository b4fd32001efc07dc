import type { JobView } from '@coord/runner-protocol';
import type { MouseEvent } from 'react';
import { formatWhen, jobWhere } from './format.js';
import { JobStatusBadge } from './job-status.js';

export interface JobLinkProps {
  job: JobView;
  /** Where the job's page is. */
  href: string;
  /** Called on a plain click (an app routes itself); modified clicks open the link as usual. */
  onOpen?(job: JobView): void;
  now?: number;
}

function openHandler(job: JobView, onOpen?: (job: JobView) => void) {
  return (e: MouseEvent) => {
    if (!onOpen || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    onOpen(job);
  };
}

function prOf(job: JobView) {
  return [...job.attempts].reverse().find((a) => a.pullRequest)?.pullRequest ?? null;
}

/** A job on the board: title, where it runs, agent, its latest attempt, PR. */
export function JobCard({ job, href, onOpen, now }: JobLinkProps) {
  const pr = prOf(job);
  const last = job.attempts.at(-1);
  return (
    <a
      className="cr-card cr-job-card"
      href={href}
      onClick={openHandler(job, onOpen)}
      data-status={job.status}
    >
      <div className="cr-job-card-title">{job.spec.title}</div>
      <div className="cr-job-card-meta">
        <span className={job.spec.context.type === 'repository' ? 'cr-mono' : undefined}>
          {jobWhere(job)}
        </span>
        <span>{job.spec.agent.id}</span>
        {pr ? <span>PR #{pr.number}</span> : null}
      </div>
      {job.waiting ? <div className="cr-job-card-waiting">{job.waiting.message}</div> : null}
      {/* Why it failed, at a glance: the board is where people look for what needs them. */}
      {job.status === 'failed' && last?.error ? (
        <div className="cr-job-card-error" title={last.error.message}>
          {last.error.message}
        </div>
      ) : null}
      <div className="cr-job-card-foot cr-muted">
        <span>{last ? `Attempt ${last.number} · ${last.runnerName}` : 'No attempt yet'}</span>
        <span>{formatWhen(job.updatedAt, now)}</span>
      </div>
    </a>
  );
}

/** A job as one row of a list. */
export function JobRow({ job, href, onOpen, now }: JobLinkProps) {
  const pr = prOf(job);
  return (
    <a className="cr-job-row" href={href} onClick={openHandler(job, onOpen)}>
      <JobStatusBadge status={job.status} />
      <span className="cr-job-row-title">{job.spec.title}</span>
      <span className={job.spec.context.type === 'repository' ? 'cr-mono cr-muted' : 'cr-muted'}>
        {jobWhere(job)}
      </span>
      <span className="cr-muted">{job.spec.agent.id}</span>
      <span className="cr-muted">{pr ? `#${pr.number}` : ''}</span>
      <span className="cr-muted">{formatWhen(job.updatedAt, now)}</span>
    </a>
  );
}
