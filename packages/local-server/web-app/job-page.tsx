import type { AttemptEvent, AttemptView, InteractionView } from '@coord/runner-protocol';
import {
  AgentLogView,
  AttemptTimeline,
  ErrorState,
  InteractionCard,
  JobStatusBadge,
  PagedLogSource,
  jobWhere,
  safeHref,
} from '@coord/runner-ui';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link } from './app.js';
import { api, artifactHref, type JobDetail } from './api.js';
import { PERMISSION_LABELS } from './labels.js';
import { hrefOf, navigate } from './router.js';

/** The log of one attempt, read page by page from the API; live events are appended by the stream. */
function logSource(attempt: AttemptView): PagedLogSource {
  return new PagedLogSource({
    length: attempt.eventsAcked,
    fetchPage: async (after, limit) => (await api.events(attempt.id, after, limit)).events,
    find: async (query, from, direction) => (await api.find(attempt.id, query, from, direction)).index,
  });
}

/** The job's detail and its selected attempt's new events, pushed by the server (SSE). */
function useJobStream(jobId: string, attempt: AttemptView | undefined, source: PagedLogSource | null) {
  const [detail, setDetail] = useState<JobDetail | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const params = new URLSearchParams(
      attempt && source ? { attempt: attempt.id, after: String(source.length()) } : {},
    );
    const stream = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/stream?${params}`);
    stream.addEventListener('job', (e) => {
      setDetail(JSON.parse((e as MessageEvent<string>).data) as JobDetail);
      setProblem(null);
    });
    stream.addEventListener('events', (e) =>
      source?.append(JSON.parse((e as MessageEvent<string>).data) as AttemptEvent[]),
    );
    stream.onerror = () => {
      // EventSource reconnects by itself; a job that does not exist never opens.
      if (stream.readyState === EventSource.CLOSED)
        setProblem('The live view lost the server. Reload the page to try again.');
    };
    return () => stream.close();
  }, [jobId, attempt?.id, source]);
  return { detail, problem };
}

export function JobPage({ jobId }: { jobId: string }) {
  const [first, setFirst] = useState<JobDetail | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [actionProblem, setActionProblem] = useState<string | null>(null);

  useEffect(() => {
    api.detail(jobId).then(setFirst, (e: Error) => setLoadProblem(e.message));
  }, [jobId]);

  const attempts = first?.job.attempts ?? [];
  const selected = attempts.find((a) => a.id === selectedId) ?? attempts.at(-1);
  const source = useMemo(() => (selected ? logSource(selected) : null), [selected?.id]);
  const { detail: live, problem: streamProblem } = useJobStream(jobId, selected, source);
  const detail = live ?? first;

  // A new attempt appeared (a retry, a revision): follow it unless one was picked.
  useEffect(() => {
    if (live && live.job.attempts.length !== first?.job.attempts.length) setFirst(live);
  }, [live, first]);

  if (loadProblem) {
    return (
      <div className="page">
        <ErrorState
          title="This job could not be opened"
          detail={loadProblem}
          action="Check the link, or go back to the board."
        >
          <div className="cr-actions center">
            <Link to={{ page: 'board' }} className="cr-button">
              Back to the board
            </Link>
          </div>
        </ErrorState>
      </div>
    );
  }
  if (!detail) return <div className="page" />;

  const { job } = detail;
  const current = job.attempts.find((a) => a.id === selected?.id) ?? selected;
  const live_ = job.status === 'ready' || job.status === 'in_progress' || job.status === 'backlog';
  const running = job.status === 'in_progress' && job.attempts.some((a) => a.status === 'active');
  const pr = [...job.attempts].reverse().find((a) => a.pullRequest)?.pullRequest ?? null;
  const prHref = safeHref(pr?.url);
  const waiting = detail.interactions.filter((i) => i.answer === null);
  // The newest resolved request stays in view (an answer given here shows it went through); the
  // older ones fold away, so that a job of many approvals keeps its log near the top.
  const resolved = detail.interactions.filter((i) => i.answer !== null);
  const latest = resolved.at(-1);
  const earlier = resolved.slice(0, -1);
  const card = (i: InteractionView) => (
    <InteractionCard
      key={i.id}
      interaction={i}
      onAnswer={async (answer) => void (await api.answer(i.id, answer))}
    />
  );
  // A failed job (the agent was missing, the network was down) is run again as a copy: a new job
  // with a fresh attempt budget, its own log, and this one kept as it ended.
  const runAgain = async () => {
    setActionProblem(null);
    try {
      const { job: copy } = await api.submit(job.workspaceId, { ...job.spec, status: 'ready' });
      navigate(hrefOf({ page: 'job', jobId: copy.id }));
    } catch (e) {
      setActionProblem(e instanceof Error ? e.message : String(e));
    }
  };
  const act = async (what: 'cancel' | 'stop' | 'ready') => {
    setActionProblem(null);
    try {
      await { cancel: api.cancel, stop: api.stop, ready: api.ready }[what](job.id);
    } catch (e) {
      setActionProblem(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div className="page page-job">
      <header className="page-head">
        <div className="job-head">
          <div className="crumbs">
            <Link to={{ page: 'board' }}>Board</Link> <span aria-hidden="true">/</span>{' '}
            <span className="cr-mono">{job.id}</span>
          </div>
          <h1>{job.spec.title}</h1>
          <div className="job-meta">
            <JobStatusBadge status={job.status} />
            <span className={job.spec.context.type === 'repository' ? 'cr-mono' : undefined}>
              {jobWhere(job)}
            </span>
            <span>
              {job.spec.agent.id}
              {job.spec.agent.model ? ` · ${job.spec.agent.model}` : ''}
            </span>
            <span>routing: {job.spec.routing?.mode ?? 'mine'}</span>
            {job.spec.agent.permissionMode ? (
              <span>permissions: {PERMISSION_LABELS[job.spec.agent.permissionMode]}</span>
            ) : null}
          </div>
        </div>
        {job.status === 'failed' || job.status === 'cancelled' ? (
          <div className="cr-actions head-actions">
            <button
              type="button"
              className="cr-button cr-button-primary"
              onClick={() => void runAgain()}
              title="Submit the same job again, as a new job that runners may take at once"
            >
              Run again
            </button>
          </div>
        ) : null}
        {live_ ? (
          <div className="cr-actions head-actions">
            {job.status === 'backlog' ? (
              <button
                type="button"
                className="cr-button cr-button-primary"
                onClick={() => void act('ready')}
                title="Move it out of the Backlog: a runner may take it from now on"
              >
                Make Ready
              </button>
            ) : null}
            {running ? (
              <button
                type="button"
                className="cr-button"
                onClick={() => void act('stop')}
                title="Let the agent finish its current step and exit, saving its session"
              >
                Stop gracefully
              </button>
            ) : null}
            <button type="button" className="cr-button cr-button-danger" onClick={() => void act('cancel')}>
              Cancel job
            </button>
          </div>
        ) : null}
      </header>
      {actionProblem ? <ErrorState title="That did not work" detail={actionProblem} /> : null}
      {streamProblem ? <ErrorState title="Live updates stopped" detail={streamProblem} /> : null}
      {job.status === 'backlog' ? (
        <div className="banner" role="status">
          <strong>In the Backlog.</strong> No runner takes it until it is made Ready.
        </div>
      ) : null}
      {job.waiting ? (
        <div className="banner banner-waiting" role="status">
          <strong>Waiting for a runner.</strong> {job.waiting.message}
        </div>
      ) : null}

      <div className="job-grid">
        <div className="job-main">
          {detail.interactions.length > 0 ? (
            <div className="interactions" aria-label="Requests from the agent">
              {earlier.length > 0 ? (
                <details className="earlier-requests">
                  <summary>
                    {earlier.length} earlier {earlier.length === 1 ? 'request' : 'requests'}, resolved
                  </summary>
                  <div className="interactions">{earlier.map(card)}</div>
                </details>
              ) : null}
              {latest ? card(latest) : null}
              {waiting.map(card)}
            </div>
          ) : null}
          <section className="log-panel" aria-label="Agent log">
            {source && current ? (
              <AgentLogView key={current.id} source={source} follow={current.status === 'active'} />
            ) : (
              <div className="cr-card">
                <div className="cr-state">
                  <div className="cr-state-title">No log yet</div>
                  <div className="cr-state-detail">The log starts when a runner takes the job.</div>
                </div>
              </div>
            )}
          </section>
        </div>
        <aside className="job-side">
          {pr ? (
            <section className="cr-card side-card" aria-label="Pull request">
              <div className="side-title">Pull request</div>
              {prHref ? (
                <a href={prHref} rel="noreferrer" className="pr-link">
                  #{pr.number} <span className="cr-mono cr-muted">{pr.branch}</span>
                </a>
              ) : (
                <span>#{pr.number}</span>
              )}
              {detail.diffStat ? (
                <div className="diffstat">
                  <span>
                    {detail.diffStat.changed_files === 1
                      ? '1 file'
                      : `${detail.diffStat.changed_files} files`}
                  </span>
                  <span className="add">+{detail.diffStat.additions}</span>
                  <span className="del">−{detail.diffStat.deletions}</span>
                  <span className="cr-muted">
                    {detail.diffStat.commits === 1 ? '1 commit' : `${detail.diffStat.commits} commits`}
                  </span>
                </div>
              ) : null}
            </section>
          ) : null}
          {job.status === 'awaiting_review' && pr ? <ReviewCard jobId={job.id} /> : null}
          {Object.keys(detail.artifacts).length > 0 ? (
            <section className="cr-card side-card" aria-label="Output files">
              <div className="side-title">Output files</div>
              <ul className="files">
                {Object.entries(detail.artifacts).flatMap(([attemptId, files]) =>
                  files.map((f) => (
                    <li key={`${attemptId}/${f.path}`}>
                      <a href={artifactHref(attemptId, f.path)} download>
                        {f.path}
                      </a>
                      <span className="cr-muted">{f.size.toLocaleString('en')} B</span>
                    </li>
                  )),
                )}
              </ul>
            </section>
          ) : null}
          <section className="cr-card side-card" aria-label="Attempts">
            <div className="side-title">Attempts</div>
            <AttemptTimeline
              attempts={job.attempts}
              selected={current?.id}
              onSelect={(a) => setSelectedId(a.id)}
            />
          </section>
          <section className="cr-card side-card" aria-label="Instructions">
            <div className="side-title">Instructions</div>
            <div className="instructions">{job.spec.instructions}</div>
          </section>
        </aside>
      </div>
    </div>
  );
}

/**
 * A reviewer's answer to a pull request: what should change. The job goes back to Ready as a
 * revision, and the runner that takes it continues the same branch and pull request.
 */
function ReviewCard({ jobId }: { jobId: string }) {
  const [feedback, setFeedback] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setBusy(true);
    try {
      await api.requestChanges(jobId, feedback);
      setFeedback('');
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
    setBusy(false);
  };
  return (
    <form className="cr-card side-card" aria-label="Review" onSubmit={(e) => void send(e)}>
      <div className="side-title">Review</div>
      <label className="cr-field">
        <span className="cr-field-label">What should change?</span>
        <textarea
          className="cr-textarea"
          rows={4}
          maxLength={20_000}
          value={feedback}
          onChange={(e) => setFeedback(e.target.value)}
          placeholder="The agent continues the same branch and pull request with this."
        />
      </label>
      {problem ? <ErrorState title="The changes were not requested" detail={problem} /> : null}
      <div className="cr-actions">
        <button type="submit" className="cr-button" disabled={busy || feedback.trim() === ''}>
          Request changes
        </button>
      </div>
    </form>
  );
}
