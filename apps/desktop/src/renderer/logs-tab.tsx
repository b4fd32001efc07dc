import type { HistoryEntry, StatusSnapshot } from '@coord/runner-core/control-api';
import { AgentLogView, EmptyState, ErrorState, PagedLogSource } from '@coord/runner-ui';
import { useEffect, useRef, useState } from 'react';
import type { LogTarget } from './app.js';
import { coord, usePushes } from './desktop.js';

const PAGE = 500;

/**
 * One job's agent log, from the runner's spool: pages fetched as the view scrolls (a million
 * lines cost a few pages of memory), then live pages pushed as the agent works.
 */
function useLog(target: LogTarget | null) {
  const [source, setSource] = useState<PagedLogSource | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const live = useRef<{ id: string; source: PagedLogSource } | null>(null);

  useEffect(() => {
    setSource(null);
    setProblem(null);
    if (!target) return undefined;
    let closed = false;
    const fetchPage = async (after: number, limit: number) =>
      (await coord().call({ method: 'log', job: target.job, afterSeq: after, limit })).events;
    // One event is enough to learn the log's length: the view then fetches only the page it
    // shows (the end, for a log it follows), not the first page and then the last.
    void coord()
      .call({ method: 'log', job: target.job, afterSeq: 0, limit: 1 })
      .then(async (first) => {
        if (closed) return;
        const paged = new PagedLogSource({ fetchPage, length: first.newestSeq, pageSize: PAGE });
        paged.append(first.events);
        setSource(paged);
        if (first.finished) return;
        // Registered before asking, so no pushed page can arrive unclaimed.
        const id = crypto.randomUUID();
        live.current = { id, source: paged };
        await coord().call({
          method: 'log.follow',
          subscriptionId: id,
          job: first.attemptId,
          afterSeq: first.newestSeq,
        });
      })
      .catch((e: Error) => !closed && setProblem(e.message));
    return () => {
      closed = true;
      const following = live.current;
      live.current = null;
      if (following)
        void coord()
          .call({ method: 'log.unfollow', subscriptionId: following.id })
          .catch(() => {});
    };
  }, [target?.job]);

  usePushes((push) => {
    const following = live.current;
    if (push.kind === 'log' && following && push.subscriptionId === following.id) {
      following.source.append(push.page.events);
      following.source.grow(push.page.newestSeq);
    }
  });
  return { source, problem };
}

export function LogsTab({
  status,
  target,
  onTarget,
}: {
  status: StatusSnapshot | null;
  target: LogTarget | null;
  onTarget(target: LogTarget): void;
}) {
  const [recent, setRecent] = useState<HistoryEntry[]>([]);
  useEffect(() => {
    void coord()
      .call({ method: 'history', limit: 30 })
      .then(
        (page) => setRecent(page.entries),
        () => setRecent([]),
      );
  }, []);
  const { source, problem } = useLog(target);
  const active = status?.active ?? [];
  return (
    <div className="page page-split">
      <aside className="job-list" aria-label="Jobs">
        <div className="job-list-title">Running</div>
        {active.length === 0 ? <div className="cr-muted job-list-empty">Nothing running</div> : null}
        {active.map((a) => (
          <JobListItem
            key={a.attemptId}
            title={a.title}
            sub={`${a.agent ?? ''} · ${a.state.replace('_', ' ')}`}
            selected={target?.job === a.jobId || target?.job === a.attemptId}
            onClick={() => onTarget({ job: a.jobId, title: a.title })}
          />
        ))}
        <div className="job-list-title">Recent</div>
        {recent.length === 0 ? <div className="cr-muted job-list-empty">No finished job yet</div> : null}
        {recent.map((h) => (
          <JobListItem
            key={h.attemptId}
            title={h.title}
            sub={`${h.outcome.replace('_', ' ')} · attempt ${h.attemptNumber}`}
            selected={target?.job === h.attemptId}
            onClick={() => onTarget({ job: h.attemptId, title: h.title })}
          />
        ))}
      </aside>
      <section className="log-pane" aria-label="Agent log">
        {target ? (
          <>
            <header className="log-head">
              <h1>{target.title}</h1>
            </header>
            {problem ? (
              <ErrorState
                title="The log cannot be read"
                detail={problem}
                action="If the job ran on another runner, open it in Coord."
              />
            ) : source ? (
              <AgentLogView source={source} emptyText="The agent has not said anything yet." />
            ) : (
              <div className="cr-muted log-loading">Loading the log…</div>
            )}
          </>
        ) : (
          <EmptyState
            title="Pick a job"
            detail="Its agent log shows here: live while it runs, from disk once it has finished."
          />
        )}
      </section>
    </div>
  );
}

function JobListItem({
  title,
  sub,
  selected,
  onClick,
}: {
  title: string;
  sub: string;
  selected: boolean;
  onClick(): void;
}) {
  return (
    <button
      className={`job-list-item${selected ? ' selected' : ''}`}
      aria-current={selected}
      onClick={onClick}
    >
      <span className="job-list-item-title">{title}</span>
      <span className="job-list-item-sub">{sub}</span>
    </button>
  );
}
