import type { JobView } from '@coord/runner-protocol';
import { EmptyState, ErrorState, JOB_STATUSES, JobCard } from '@coord/runner-ui';
import { Link } from './app.js';
import { usePolling } from './polling.js';
import { api } from './api.js';
import { hrefOf, navigate } from './router.js';

export function BoardPage() {
  const { data, error } = usePolling(() => api.board(), 2000, []);
  const jobs = data?.jobs ?? [];
  const open = (job: JobView) => navigate(hrefOf({ page: 'job', jobId: job.id }));
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
                className="column"
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
                  {column.map((job) => (
                    <JobCard
                      key={job.id}
                      job={job}
                      href={hrefOf({ page: 'job', jobId: job.id })}
                      onOpen={open}
                    />
                  ))}
                </div>
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
