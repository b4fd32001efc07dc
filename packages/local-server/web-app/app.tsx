import { ErrorState, ThemeToggle, useTheme } from '@coord/runner-ui';
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import { api, type Session } from './api.js';
import { BoardPage } from './board-page.js';
import { JobPage } from './job-page.js';
import { NewJobPage } from './new-job-page.js';
import { hrefOf, navigate, useRoute, type Route } from './router.js';
import { RunnersPage } from './runners-page.js';

/** A link inside the app: a plain click routes without reloading the page. */
export function Link({
  to,
  className,
  children,
}: {
  to: Route | string;
  className?: string;
  children: ReactNode;
}) {
  const href = typeof to === 'string' ? to : hrefOf(to);
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} className={className} onClick={onClick}>
      {children}
    </a>
  );
}

const csrf = () => document.querySelector<HTMLMetaElement>('meta[name="coord-csrf"]')?.content ?? '';

function Sidebar({ session, route }: { session: Session | null; route: Route }) {
  const [theme, setTheme] = useTheme();
  const item = (to: Route, label: string, key: string) => (
    <Link to={to} className={`nav-item${route.page === to.page ? ' active' : ''}`}>
      <span className="nav-key" aria-hidden="true">
        {key}
      </span>
      {label}
    </Link>
  );
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◆
        </span>
        Coord <span className="brand-sub">local</span>
      </div>
      {item({ page: 'board' }, 'Board', 'B')}
      {item({ page: 'new' }, 'New job', 'N')}
      {item({ page: 'runners' }, 'Runners', 'R')}
      <div className="sidebar-foot">
        <div className="account" title="Signed in">
          <span className="avatar" aria-hidden="true">
            {(session?.account.name ?? '?').slice(0, 1).toUpperCase()}
          </span>
          <span className="account-name">{session?.account.name ?? ''}</span>
        </div>
        <div className="sidebar-actions">
          <ThemeToggle theme={theme} onChange={setTheme} />
          <form method="post" action="/sign-out">
            <input type="hidden" name="csrf" value={csrf()} />
            <button type="submit" className="cr-button cr-button-quiet">
              Sign out
            </button>
          </form>
        </div>
      </div>
    </nav>
  );
}

/** Single-letter shortcuts between pages (not while typing). */
function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (
        e.metaKey ||
        e.ctrlKey ||
        e.altKey ||
        (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))
      )
        return;
      if (t?.closest('.cr-log')) return; // the log view has keys of its own
      const to = ({ b: '/app', n: '/app/new', r: '/app/runners' } as Record<string, string>)[
        e.key.toLowerCase()
      ];
      if (to) {
        e.preventDefault();
        navigate(to);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useShortcuts();
  useEffect(() => {
    api.session().then(setSession, (e: Error) => setProblem(e.message));
  }, []);
  useEffect(() => {
    document.title =
      { board: 'Board', new: 'New job', job: 'Job', runners: 'Runners', missing: 'Not found' }[route.page] +
      ' · Coord';
  }, [route]);

  let content: ReactNode;
  if (problem)
    content = (
      <ErrorState
        title="The server could not be reached"
        detail={problem}
        action="Check that the local server is running, then reload this page."
      />
    );
  // Only the form needs the session (its workspaces): the other pages load at once, in parallel.
  else if (route.page === 'board') content = <BoardPage />;
  else if (route.page === 'new') content = session ? <NewJobPage session={session} /> : null;
  else if (route.page === 'job') content = <JobPage key={route.jobId} jobId={route.jobId} />;
  else if (route.page === 'runners') content = <RunnersPage />;
  else content = <ErrorState title="No such page" action="Go back to the board." />;

  return (
    <div className="layout">
      <Sidebar session={session} route={route} />
      <main className="main">{content}</main>
    </div>
  );
}
