import type { AttemptEvent } from '@coord/runner-protocol';
import { useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { EmptyState, ErrorState } from '../common/states.js';
import { formatCount } from '../job/format.js';
import { deltaChannel } from './log-entry.js';
import { LogRow } from './log-row.js';
import type { LogQuery, LogSource } from './log-source.js';

export interface AgentLogViewProps {
  source: LogSource;
  /** Stick to the newest line as events arrive (on by default; scrolling up turns it off). */
  follow?: boolean;
  /** Shown when the log has no events yet. */
  emptyText?: string;
  /** Viewport size before the first layout (tests, server rendering). */
  initialRect?: { width: number; height: number };
  className?: string;
}

const ESTIMATED_ROW_PX = 28;
/**
 * Rows drawn beyond each edge of the viewport. Every row costs its render, layout and paint in
 * the frame that scrolls it in, and a long jump replaces all of them; a few rows are enough
 * cover for a wheel step that the compositor scrolls before the rows are drawn.
 */
const OVERSCAN = 4;

/**
 * The React key of each drawn row. A row that stays in view keeps its key, so its node stays
 * and it is not drawn again; a row scrolled in takes the key of one scrolled out, in the same
 * order, so React updates that node's text in place rather than building new elements (a long
 * jump replaces every row). Keys are slot numbers from a pool as big as the largest window;
 * rendering the same window again gives the same keys.
 */
function useRowKeys(indexes: number[]): number[] {
  const state = useRef({ slots: new Map<number, number>(), spare: [] as number[], made: 0 });
  const s = state.current;
  const first = indexes[0] ?? 0;
  const last = indexes.at(-1) ?? -1;
  const free = [...s.slots].filter(([index]) => index < first || index > last).map(([, slot]) => slot);
  free.push(...s.spare);
  const slots = new Map<number, number>();
  const keys = indexes.map((index) => {
    const slot = s.slots.get(index) ?? free.shift() ?? s.made++;
    slots.set(index, slot);
    return slot;
  });
  s.slots = slots;
  s.spare = free;
  return keys;
}

/** Runs `task` when the page is next idle (after the frame being drawn), or within 100 ms. */
function whenIdle(task: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(task, { timeout: 100 });
  else setTimeout(task, 0);
}

/** Re-renders when the source says something changed (rows loaded, length grew); returns its length. */
function useSourceLength(source: LogSource): number {
  const [, setTick] = useState(0);
  useEffect(() => source.subscribe(() => setTick((t) => t + 1)), [source]);
  return source.length();
}

/**
 * An attempt's agent log: one virtualized row per event, loaded page by page from `source` as it
 * scrolls into view. Keys: `/` search, Enter / Shift+Enter next / previous match, `]` / `[` next /
 * previous tool call, `f` follow, `g` / `G` top / bottom.
 */
export function AgentLogView({
  source,
  follow: initialFollow = true,
  emptyText,
  initialRect,
  className,
}: AgentLogViewProps) {
  const length = useSourceLength(source);
  const scrollRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const [follow, setFollow] = useState(initialFollow);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState<number | null>(null);
  const [status, setStatus] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const programmatic = useRef(false);

  const virtualizer = useVirtualizer({
    count: length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW_PX,
    overscan: OVERSCAN,
    ...(initialRect ? { initialRect } : {}),
  });
  const items = virtualizer.getVirtualItems();
  const keys = useRowKeys(items.map((item) => item.index));
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? -1;

  // Fetch what is on screen (plus the overscan). While a scroll is under way, once the frame
  // that draws these rows is done: this effect runs inside that frame (the virtualizer renders
  // synchronously on scroll) and starting a fetch is no part of drawing it.
  useEffect(() => {
    if (last < first) return;
    const load = () =>
      source.ensure(first, last + 1).then(
        () => setError(null),
        (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
      );
    if (virtualizer.isScrolling) whenIdle(load);
    else void load();
  }, [source, first, last, length, virtualizer]);

  // Follow: keep the newest line in view as the log grows, and as the rows near the end are
  // measured taller than estimated (the total grows after the first scroll to the end).
  const totalSize = virtualizer.getTotalSize();
  useEffect(() => {
    if (!follow || length === 0) return;
    programmatic.current = true;
    virtualizer.scrollToIndex(length - 1, { align: 'end' });
  }, [follow, length, totalSize, virtualizer]);

  const lastScrollTop = useRef(0);
  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    // Only a person scrolls up: the view's own moves (following, rows measured) go down or stay.
    const movedUp = el.scrollTop < lastScrollTop.current;
    lastScrollTop.current = el.scrollTop;
    if (programmatic.current) {
      programmatic.current = false;
      return;
    }
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ESTIMATED_ROW_PX * 2;
    if (atBottom && !follow) setFollow(true);
    else if (!atBottom && follow && movedUp) setFollow(false);
  };

  /** The next match after the current one (or the top of the view), wrapping around once. */
  const jump = async (q: LogQuery, direction: 1 | -1, what: string) => {
    const from = current === null ? (direction === 1 ? first : last) : current + direction;
    try {
      let found = await source.find(q, Math.max(0, from), direction);
      let wrapped = false;
      if (found === null) {
        found = await source.find(q, direction === 1 ? 0 : length - 1, direction);
        wrapped = found !== null;
      }
      if (found === null) {
        setStatus(`No ${what}.`);
        return;
      }
      const where = `${what[0]!.toUpperCase()}${what.slice(1)} at event ${formatCount(found + 1)}`;
      setStatus(wrapped ? `${where} (from the ${direction === 1 ? 'top' : 'bottom'}).` : `${where}.`);
      setFollow(false);
      setCurrent(found);
      programmatic.current = true;
      virtualizer.scrollToIndex(found, { align: 'center' });
    } catch (e) {
      setStatus(`Search failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const searchNext = (direction: 1 | -1) => {
    if (query.trim() === '') return setStatus('Type something to search for.');
    void jump({ text: query.trim() }, direction, `match for “${query.trim()}”`);
  };
  const toolNext = (direction: 1 | -1) => void jump({ toolCalls: true }, direction, 'tool call');

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target instanceof HTMLInputElement || e.metaKey || e.ctrlKey || e.altKey) return;
    const keys: Record<string, () => void> = {
      '/': () => searchRef.current?.focus(),
      ']': () => toolNext(1),
      '[': () => toolNext(-1),
      f: () => setFollow((f) => !f),
      g: () => {
        setFollow(false);
        virtualizer.scrollToIndex(0);
      },
      G: () => setFollow(true),
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  return (
    <div className={`cr-log ${className ?? ''}`} onKeyDown={onKeyDown}>
      <div className="cr-log-toolbar" role="toolbar" aria-label="Log tools">
        <input
          ref={searchRef}
          className="cr-input cr-log-search"
          type="search"
          placeholder="Search the log  ( / )"
          aria-label="Search the log"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setCurrent(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              searchNext(e.shiftKey ? -1 : 1);
            } else if (e.key === 'Escape') e.currentTarget.blur();
          }}
        />
        <button
          type="button"
          className="cr-button cr-button-quiet"
          onClick={() => searchNext(-1)}
          aria-label="Previous match"
        >
          ↑
        </button>
        <button
          type="button"
          className="cr-button cr-button-quiet"
          onClick={() => searchNext(1)}
          aria-label="Next match"
        >
          ↓
        </button>
        <span className="cr-toolbar-sep" />
        <button
          type="button"
          className="cr-button cr-button-quiet"
          onClick={() => toolNext(-1)}
          title="Previous tool call ( [ )"
        >
          ‹ Tool
        </button>
        <button
          type="button"
          className="cr-button cr-button-quiet"
          onClick={() => toolNext(1)}
          title="Next tool call ( ] )"
        >
          Tool ›
        </button>
        <span className="cr-toolbar-sep" />
        <label className="cr-toggle" title="Follow new lines ( f )">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <span className="cr-log-count cr-muted">{formatCount(length)} events</span>
      </div>
      {status ? (
        <div className="cr-log-status" role="status">
          {status}
        </div>
      ) : null}
      {error ? (
        <ErrorState
          title="The log could not be loaded"
          detail={error}
          action="Check that the server is running, then scroll to retry."
        />
      ) : null}
      {length === 0 ? (
        <EmptyState
          title="No output yet"
          detail={emptyText ?? 'The agent’s messages, tool calls and output appear here as it works.'}
        />
      ) : (
        <div
          ref={scrollRef}
          className="cr-log-scroll"
          tabIndex={0}
          role="log"
          aria-label="Agent log"
          aria-live={follow ? 'polite' : 'off'}
          onScroll={onScroll}
        >
          <div className="cr-log-inner" style={{ height: virtualizer.getTotalSize() }}>
            <div className="cr-log-window" style={{ transform: `translateY(${items[0]?.start ?? 0}px)` }}>
              {items.map((item, i) => (
                <LogLine
                  key={keys[i]}
                  index={item.index}
                  event={source.get(item.index)}
                  continues={continuesRun(source, item.index)}
                  current={item.index === current}
                  virtualizer={virtualizer}
                />
              ))}
            </div>
          </div>
        </div>
      )}
    </div>
  );
}

interface LogLineProps {
  index: number;
  /** Undefined while its page loads. */
  event: AttemptEvent | undefined;
  /** A delta after one of its channel: drawn as the next line of that run. */
  continues: boolean;
  current: boolean;
  virtualizer: Virtualizer<HTMLDivElement, Element>;
}

/** Whether row `index` continues the run of streamed deltas above it (see `deltaChannel`). */
function continuesRun(source: LogSource, index: number): boolean {
  const channel = deltaChannel(source.get(index));
  return channel !== null && index > 0 && deltaChannel(source.get(index - 1)) === channel;
}

/** One line of the log: drawn again only when it shows another index or event, or becomes current. */
const LogLine = memo(function LogLine({ index, event, continues, current, virtualizer }: LogLineProps) {
  const ref = useRef<HTMLDivElement | null>(null);
  const measure = useCallback(
    (row: HTMLDivElement | null) => {
      ref.current = row;
      virtualizer.measureElement(row);
    },
    [virtualizer],
  );
  const shown = useRef(index);
  // The virtualizer measures a row's node when it mounts (the ref) and keeps it by index; when
  // the node shows another row, hand it over, so the new row is measured (now, or by the
  // virtualizer's ResizeObserver while a scroll is under way) and the old one forgotten.
  useLayoutEffect(() => {
    const row = ref.current!;
    if (shown.current === index) return;
    if (virtualizer.elementsCache.get(shown.current) === row) virtualizer.elementsCache.delete(shown.current);
    shown.current = index;
    virtualizer.measureElement(row);
  }, [index, virtualizer]);
  return (
    <div
      ref={measure}
      data-index={index}
      className={`cr-log-row${continues ? ' cr-continues' : ''}${current ? ' cr-current' : ''}`}
    >
      <span className="cr-seq" aria-hidden="true">
        {index + 1}
      </span>
      <LogRow event={event} continues={continues} />
    </div>
  );
});
