import { ErrorState, formatWhen } from '@coord/runner-ui';
import { useEffect, useState } from 'react';
import { api, type PullDetail } from './api.js';
import { Link } from './app.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A pull request on this server's forge: what it changes, and the job that opened it. */
export function PullPage({ owner, repo, number }: { owner: string; repo: string; number: number }) {
  const [pull, setPull] = useState<PullDetail | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    api.pull(owner, repo, number).then(
      (r) => setPull(r.pull),
      (e: Error) => setProblem(e.message),
    );
  }, [owner, repo, number]);

  if (problem)
    return (
      <div className="page">
        <ErrorState
          title="This pull request could not be opened"
          detail={problem}
          action="Check the link, or find the job on the board."
        />
      </div>
    );
  if (!pull) return <div className="page" />;
  const stat = pull.diffStat;
  return (
    <div className="page page-narrow">
      <header className="page-head">
        <div className="job-head">
          <div className="crumbs">
            <span className="cr-mono">
              {pull.owner}/{pull.repo}
            </span>{' '}
            <span aria-hidden="true">/</span> pull requests
          </div>
          <h1>
            {pull.title} <span className="cr-muted">#{pull.number}</span>
          </h1>
          <div className="job-meta">
            <span className={`pill-state pill-${pull.state}`}>
              {pull.state === 'open' ? 'Open' : 'Closed'}
            </span>
            <span className="cr-mono">
              {pull.head} → {pull.base}
            </span>
            <span>opened {formatWhen(pull.createdAt)}</span>
          </div>
        </div>
        {pull.jobId ? (
          <Link to={{ page: 'job', jobId: pull.jobId }} className="cr-button">
            Open the job
          </Link>
        ) : null}
      </header>
      <section className="cr-card side-card" aria-label="Changes">
        <div className="side-title">Changes</div>
        <div className="diffstat">
          <span>{plural(stat.changed_files, 'file')}</span>
          <span className="add">+{stat.additions}</span>
          <span className="del">−{stat.deletions}</span>
          <span className="cr-muted">{plural(stat.commits, 'commit')}</span>
        </div>
      </section>
      <section className="cr-card side-card" aria-label="Description">
        <div className="side-title">Description</div>
        {pull.body ? (
          <div className="instructions pull-body">{pull.body}</div>
        ) : (
          <p className="cr-muted">No description.</p>
        )}
      </section>
    </div>
  );
}
