import { EmptyState, ErrorState, formatWhen } from '@coord/runner-ui';
import { Link } from './app.js';
import { api } from './api.js';
import { usePolling } from './polling.js';

export function RunnersPage() {
  const { data, error } = usePolling(() => api.runners(), 3000, []);
  const runners = data?.runners ?? [];
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Runners</h1>
          <p className="page-sub">Machines signed in to this server with your account.</p>
        </div>
      </header>
      {error ? (
        <ErrorState
          title="Runners could not be loaded"
          detail={error}
          action="It retries by itself; check that the server is running."
        />
      ) : null}
      {data && runners.length === 0 ? (
        <div className="cr-card">
          <EmptyState
            title="No runner has signed in yet"
            detail="Start one with `coord-runner start` pointed at this server; it appears here within seconds."
          />
        </div>
      ) : (
        <div className="runner-list">
          {runners.map((r) => (
            <section key={r.id} className="cr-card runner" aria-label={`Runner ${r.name}`}>
              <div className="runner-head">
                <span className={`presence ${r.online ? 'online' : 'offline'}`} aria-hidden="true" />
                <span className="runner-name">{r.name}</span>
                <span className="cr-muted">
                  {r.draining
                    ? 'Draining · finishing its jobs, taking no new ones'
                    : r.online
                      ? 'Online'
                      : `Offline · last seen ${formatWhen(r.lastSeenAt)}`}
                </span>
                <span className="runner-capacity">
                  {r.running.length} / {r.capacity} busy
                </span>
              </div>
              <div className="runner-meta cr-muted">
                <span>
                  {r.platform} {r.arch}
                </span>
                <span>runner {r.version}</span>
                {r.labels.map((l) => (
                  <span key={l} className="cr-pill">
                    {l}
                  </span>
                ))}
              </div>
              <div className="chips" aria-label="Agents">
                {r.agents.map((a) => (
                  <span
                    key={a.id}
                    className={`chip chip-${a.state}${a.enabled ? '' : ' chip-disabled'}`}
                    title={a.hint ?? ''}
                  >
                    {a.id}
                    {a.version ? ` ${a.version}` : ''}
                    {a.state !== 'detected'
                      ? ` · ${a.state.replace('_', ' ')}`
                      : a.enabled
                        ? ''
                        : ' · disabled'}
                  </span>
                ))}
              </div>
              {r.running.length > 0 ? (
                <ul className="running">
                  {r.running.map((a) => (
                    <li key={a.attemptId}>
                      <Link to={{ page: 'job', jobId: a.jobId }}>{a.title || a.jobId}</Link>
                      <span className="cr-muted"> · attempt {a.number}</span>
                    </li>
                  ))}
                </ul>
              ) : null}
            </section>
          ))}
        </div>
      )}
    </div>
  );
}
