import type { JobView } from '@coord/runner-protocol';
import { EmptyState, ErrorState, JOB_STATUSES, JobCard } from '@coord/runner-ui';
import { useState } from 'react';
import { Link } from './app.js';
import { usePolling } from './polling.js';
import { api } from './api.js';
import { hrefOf, navigate } from './router.js';

export function BoardPage() {
  const { data, error, refresh } = usePolling(() => api.board(), 2000, []);
  const [readying, setReadying] = useState<ReadonlySet<string>>(new Set());
  const [readyProblem, setReadyProblem] = useState<string | null>(null);
  const jobs = data?.jobs ?? [];
  const open = (job: JobView) => navigate(hrefOf({ page: 'job', jobId: job.id }));
  // Backlog → Ready: runners may take it from now on.
  const makeReady = async (job: JobView) => {
    setReadyProblem(null);
    setReadying((s) => new Set(s).add(job.id));
    try {
      await api.ready(job.id);
      refresh();
    } catch (e) {
      setReadyProblem(e instanceof Error ? e.message : String(e));
    }
    setReadying((s) => {
      const rest = new Set(s);
      rest.delete(job.id);
      return rest;
    });
  };
  return (
    <div className="page page-wide">
      <header className="page-head">
        <div>
          <h1>Board</h1>
          <p className="page-sub">{jobs.length === 1 ? '1 job' : `${jobs.length} jobs`} in your workspaces</p>
        </div>
        <Link to={{ page: 'new' }} className="cr-button cr-button-primary">
          New job
        </Link>
      </header>
      {error ? (
        <ErrorState
          title="The board could not be loaded"
          detail={error}
          action="It retries by itself; check that the server is running."
        />
      ) : null}
      {readyProblem ? (
        <ErrorState
          title="The job was not made Ready"
          detail={readyProblem}
          action="It stays in the Backlog; try again."
        />
      ) : null}
      {data && jobs.length === 0 ? (
        <div className="cr-card">
          <EmptyState
            title="No jobs yet"
            detail="Submit a job and a runner signed in to this server picks it up."
          >
            <div className="cr-actions center">
              <Link to={{ page: 'new' }} className="cr-button cr-button-primary">
                Submit a job
              </Link>
            </div>
          </EmptyState>
        </div>
      ) : (
        <div className="board" role="list" aria-label="Jobs by status">
          {JOB_STATUSES.map(({ status, label }) => {
            const column = jobs.filter((j) => j.status === status);
            return (
              <section
                key={status}
                // An empty column folds to a strip, so that the columns holding jobs fit the screen.
                className={column.length === 0 ? 'column column-empty' : 'column'}
                role="listitem"
                aria-label={label}
                data-status={status}
              >
                <div className="column-head">
                  <span className={`cr-status cr-status-${status}`}>
                    <span className="cr-status-dot" aria-hidden="true" />
                    {label}
                  </span>
                  <span className="column-count">{column.length}</span>
                </div>
                <div className="column-body">
                  {column.map((job) =>
                    job.status === 'backlog' ? (
                      <div key={job.id} className="board-item">
                        <JobCard job={job} href={hrefOf({ page: 'job', jobId: job.id })} onOpen={open} />
                        <div className="board-item-foot">
                          <button
                            type="button"
                            className="cr-button board-item-action"
                            disabled={readying.has(job.id)}
                            aria-label={`Make Ready: ${job.spec.title}`}
                            title="Runners may take it from now on"
                            onClick={() => void makeReady(job)}
                          >
                            Make Ready
                          </button>
                        </div>
                      </div>
                    ) : (
                      <JobCard
                        key={job.id}
                        job={job}
                        href={hrefOf({ page: 'job', jobId: job.id })}
                        onOpen={open}
                      />
                    ),
                  )}
                </div>
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
