import type { ActiveAttempt, StatusSnapshot } from '@coord/runner-core/control-api';
import { EmptyState, ErrorState, formatDuration } from '@coord/runner-ui';
import { useState } from 'react';
import type { AppState } from '../shared/desktop-api.js';
import type { LogTarget } from './app.js';
import { coord } from './desktop.js';
import { WaitingCards } from './waiting.js';

/** What each attempt state means to a person, and why a job is not moving when it is not. */
const STATE_TEXT: Record<ActiveAttempt['state'], string> = {
  claimed: 'Claimed: about to prepare',
  preparing: 'Preparing the work tree (clone, branch)',
  running: 'The agent is working',
  awaiting_input: 'Waiting for you: an approval or a question',
  retrying: 'Retrying after a transient failure (resuming the session)',
  stopping: 'Stopping: the agent saves its session',
  publishing: 'Committing, pushing, opening the pull request',
  reporting: 'Reporting the result to the server',
  done: 'Done',
  lease_lost: 'The server gave the job to another runner',
};

export function StatusTab({
  app,
  status,
  error,
  onOpenLog,
}: {
  app: AppState;
  status: StatusSnapshot | null;
  error: string | null;
  onOpenLog(target: LogTarget): void;
}) {
  return (
    <div className="page">
      <header className="page-head">
        <h1>Status</h1>
        <RunnerControls app={app} active={status?.active.length ?? 0} />
      </header>
      <Connections app={app} status={status} />
      {error && app.runner.status === 'running' ? (
        <ErrorState
          title="The runner does not answer"
          detail={error}
          action="It is restarted if it stopped; see Settings → Runner log."
        />
      ) : null}
      <WaitingCards waiting={status?.waiting ?? []} />
      <section className="panel" aria-label="Active jobs">
        <h2 className="panel-title">
          Active jobs{' '}
          <span className="cr-muted">{status ? `${status.active.length} of ${status.capacity}` : ''}</span>
        </h2>
        {status && status.active.length > 0 ? (
          <div className="table" role="table" aria-label="Active jobs">
            <div className="table-row table-head" role="row">
              <span role="columnheader">Job</span>
              <span role="columnheader">Branch</span>
              <span role="columnheader">Agent</span>
              <span role="columnheader">State</span>
              <span role="columnheader">Attempt</span>
              <span role="columnheader">Elapsed</span>
              <span role="columnheader" />
            </div>
            {status.active.map((a) => (
              <ActiveRow key={a.attemptId} attempt={a} onOpenLog={onOpenLog} />
            ))}
          </div>
        ) : (
          <EmptyState
            title={app.runner.status === 'running' ? 'No job is running' : 'The runner is not running'}
            detail={
              app.runner.status === 'running'
                ? 'Jobs made Ready in Coord for this runner start here on their own.'
                : app.account.signedIn
                  ? 'Start it to take jobs.'
                  : 'Sign in under Settings to take jobs.'
            }
          />
        )}
      </section>
    </div>
  );
}

function ActiveRow({
  attempt: a,
  onOpenLog,
}: {
  attempt: ActiveAttempt;
  onOpenLog(target: LogTarget): void;
}) {
  const [stopping, setStopping] = useState(false);
  return (
    <div className="table-row" role="row" data-job={a.jobId}>
      <span role="cell" className="cell-main">
        <button className="link-button" onClick={() => onOpenLog({ job: a.jobId, title: a.title })}>
          {a.title}
        </button>
        <span className="cell-sub cr-mono" title={a.lastLine ?? ''}>
          {a.workspaceId ? `${a.workspaceId} · ` : ''}
          {a.lastLine ?? STATE_TEXT[a.state]}
        </span>
      </span>
      <span role="cell" className="cell-branch cr-mono" title={a.branch ?? undefined}>
        {a.branch ?? '—'}
      </span>
      <span role="cell">{a.agent ?? '—'}</span>
      <span role="cell">
        <span className={`state state-${a.state}`} title={STATE_TEXT[a.state]}>
          {a.state.replace('_', ' ')}
        </span>
      </span>
      <span role="cell">#{a.attemptNumber}</span>
      <span role="cell" className="cr-mono">
        {a.elapsedMs !== null ? formatDuration(a.elapsedMs) : '—'}
      </span>
      <span role="cell" className="cell-actions">
        <button className="cr-button" onClick={() => onOpenLog({ job: a.jobId, title: a.title })}>
          Logs
        </button>
        <button
          className="cr-button"
          disabled={stopping || a.state === 'stopping'}
          onClick={() => {
            setStopping(true);
            void coord()
              .call({ method: 'job.stop', job: a.attemptId })
              .catch(() => setStopping(false));
          }}
        >
          Stop
        </button>
      </span>
    </div>
  );
}

function RunnerControls({ app, active }: { app: AppState; active: number }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const act = (label: string, run: () => Promise<unknown>) => {
    setBusy(label);
    setProblem(null);
    run()
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setBusy(null));
  };
  const { status } = app.runner;
  if (!app.account.signedIn) return null;
  return (
    <div className="controls">
      {problem ? <span className="cr-error-text">{problem}</span> : null}
      {status === 'stopped' || status === 'crashed' ? (
        <button
          className="cr-button cr-button-primary"
          disabled={busy !== null}
          onClick={() => act('start', () => coord().call({ method: 'runner.start' }))}
        >
          Start
        </button>
      ) : (
        <>
          <button
            className="cr-button"
            disabled={busy !== null || status !== 'running'}
            title="Finish the jobs running now, take no more"
            onClick={() => act('drain', () => coord().call({ method: 'stop', mode: 'drain' }))}
          >
            Drain
          </button>
          <button
            className="cr-button"
            disabled={busy !== null || status !== 'running'}
            title={
              active
                ? 'Stop the agents gracefully (their sessions are saved), then the runner'
                : 'Stop the runner'
            }
            onClick={() => act('stop', () => coord().call({ method: 'stop', mode: 'graceful' }))}
          >
            Stop
          </button>
        </>
      )}
    </div>
  );
}

function Connections({ app, status }: { app: AppState; status: StatusSnapshot | null }) {
  const { runner, account } = app;
  const conn = status?.connections[0];
  return (
    <section className="panel connection" aria-label="Connection">
      <div className="kv">
        <span className="kv-key">Server</span>
        <span className="kv-value cr-mono">{account.server ?? 'Not signed in'}</span>
      </div>
      <div className="kv">
        <span className="kv-key">Runner</span>
        <span className="kv-value">
          {runner.status === 'running'
            ? conn
              ? `${conn.status}${conn.message ? `: ${conn.message}` : ''}`
              : 'running'
            : runner.status}
          {runner.restarts > 0 ? <span className="cr-muted"> · restarted {runner.restarts}×</span> : null}
        </span>
      </div>
      {conn?.runnerId ? (
        <div className="kv">
          <span className="kv-key">Runner id</span>
          <span className="kv-value cr-mono">{conn.runnerId}</span>
        </div>
      ) : null}
      {runner.message ? (
        <div className={`notice ${runner.status === 'crashed' ? 'notice-bad' : 'notice-warn'}`} role="status">
          {runner.message}
        </div>
      ) : null}
    </section>
  );
}
