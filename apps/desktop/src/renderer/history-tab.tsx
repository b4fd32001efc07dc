import type { HistoryEntry, HistoryFilter } from '@coord/runner-core/control-api';
import type { Outcome } from '@coord/runner-protocol';
import { EmptyState, ErrorState, formatDuration } from '@coord/runner-ui';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import type { LogTarget } from './app.js';
import { coord, usePushes } from './desktop.js';

const PAGE = 100;
const ROW_PX = 52;

const OUTCOMES: { value: Outcome; label: string }[] = [
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'no_changes', label: 'No changes' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'stopped', label: 'Stopped' },
];

/**
 * Finished attempts from the runner's history, newest first, filtered by the runner (outcome,
 * agent, words) and paged by cursor as the list scrolls: ten thousand entries draw as fast as
 * ten, since only the rows on screen exist.
 */
function useHistory(filter: HistoryFilter, running: boolean) {
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(filter);

  useEffect(() => {
    let live = true;
    setLoading(true);
    coord()
      .call({ method: 'history', filter, limit: PAGE })
      .then(
        (page) => {
          if (!live) return;
          setEntries(page.entries);
          setCursor(page.nextCursor);
          setProblem(null);
        },
        (e: Error) => live && setProblem(e.message),
      )
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, running, generation]);

  // A job that finishes shows up at once.
  usePushes((push) => {
    if (push.kind === 'event' && push.event.type === 'job.finished') setGeneration((g) => g + 1);
  });

  const more = () => {
    if (!cursor || loading) return;
    setLoading(true);
    void coord()
      .call({ method: 'history', filter, cursor, limit: PAGE })
      .then((page) => {
        setEntries((current) => [...current, ...page.entries]);
        setCursor(page.nextCursor);
      })
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setLoading(false));
  };
  return { entries, more, hasMore: cursor !== null, loading, problem };
}

export function HistoryTab({ running, onOpenLog }: { running: boolean; onOpenLog(target: LogTarget): void }) {
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  const [agent, setAgent] = useState('');
  const [text, setText] = useState('');
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setText(typed.trim()), 200);
    return () => clearTimeout(timer);
  }, [typed]);
  const filter: HistoryFilter = {
    ...(outcome ? { outcome: [outcome] } : {}),
    ...(agent ? { agent } : {}),
    ...(text ? { text } : {}),
  };
  const { entries, more, hasMore, loading, problem } = useHistory(filter, running);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_PX,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.at(-1)?.index ?? -1;
  useEffect(() => {
    if (hasMore && lastShown >= entries.length - 20) more();
  }, [lastShown, entries.length, hasMore]);

  return (
    <div className="page page-fill">
      <header className="page-head">
        <h1>History</h1>
        <div className="filters" role="search">
          <input
            type="search"
            className="cr-input"
            placeholder="Search titles, summaries, PRs"
            aria-label="Search history"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
          <select
            className="cr-input"
            aria-label="Outcome"
            value={outcome}
            onChange={(e) => setOutcome(e.target.value as Outcome | '')}
          >
            <option value="">Any outcome</option>
            {OUTCOMES.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          <select
            className="cr-input"
            aria-label="Agent"
            value={agent}
            onChange={(e) => setAgent(e.target.value)}
          >
            <option value="">Any agent</option>
            <option value="claude-code">Claude Code</option>
            <option value="codex">Codex</option>
            <option value="gemini">Gemini</option>
            <option value="demo">Demo</option>
          </select>
        </div>
      </header>
      {problem ? (
        <ErrorState
          title="The history cannot be read"
          detail={problem}
          action="Start the runner to read its history."
        />
      ) : null}
      {!problem && entries.length === 0 && !loading ? (
        <EmptyState
          title={outcome || agent || text ? 'Nothing matches' : 'No finished job yet'}
          detail={
            outcome || agent || text
              ? 'Try other filters.'
              : 'Jobs this runner finishes are listed here, with their outcome, PR and cost.'
          }
        />
      ) : null}
      <div className="history-head" aria-hidden={entries.length === 0}>
        <span>Outcome</span>
        <span>Job</span>
        <span>Agent</span>
        <span>Duration</span>
        <span>Tokens · cost</span>
        <span>Finished</span>
      </div>
      <div ref={scrollRef} className="history-scroll" role="list" aria-label="Finished jobs">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const entry = entries[item.index]!;
            return (
              <div
                key={entry.attemptId}
                role="listitem"
                className="history-row"
                data-attempt={entry.attemptId}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_PX,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                <HistoryRow entry={entry} onOpenLog={onOpenLog} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function HistoryRow({ entry: e, onOpenLog }: { entry: HistoryEntry; onOpenLog(target: LogTarget): void }) {
  const tokens = e.usage ? e.usage.inputTokens + e.usage.outputTokens : null;
  return (
    <>
      <span>
        <span className={`outcome outcome-${e.outcome}`}>{e.outcome.replace('_', ' ')}</span>
      </span>
      <span className="cell-main">
        <button className="link-button" onClick={() => onOpenLog({ job: e.attemptId, title: e.title })}>
          {e.title}
        </button>
        <span className="cell-sub">
          attempt {e.attemptNumber}
          {e.error ? ` · ${e.error.message}` : e.summary ? ` · ${e.summary}` : ''}
        </span>
      </span>
      <span>{e.agent ?? '—'}</span>
      <span className="cr-mono">{formatDuration(e.durationMs)}</span>
      <span className="cr-mono">
        {tokens !== null ? `${compact(tokens)}` : '—'}
        {e.usage?.costUsd != null ? ` · $${e.usage.costUsd.toFixed(2)}` : ''}
      </span>
      <span className="finished">
        <span>{new Date(e.finishedAt).toLocaleString()}</span>
        {e.pullRequest ? (
          <button
            className="link-button"
            onClick={() => void coord().call({ method: 'open.external', url: e.pullRequest!.url })}
          >
            PR #{e.pullRequest.number}
          </button>
        ) : null}
      </span>
    </>
  );
}

function compact(n: number): string {
  return n >= 1_000_000
    ? `${(n / 1_000_000).toFixed(1)}M`
    : n >= 1000
      ? `${(n / 1000).toFixed(1)}k`
      : String(n);
}
