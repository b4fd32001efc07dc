import { ErrorState, ThemeToggle, useTheme } from '@coord/runner-ui';
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import { api, type Session } from './api.js';
import { BoardPage } from './board-page.js';
import { DevicePage } from './device-page.js';
import { JobPage } from './job-page.js';
import { NewJobPage } from './new-job-page.js';
import { PullPage } from './pull-page.js';
import { hrefOf, navigate, useRoute, type Route } from './router.js';
import { RunnersPage } from './runners-page.js';
import { SignInPage } from './sign-in-page.js';

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

function Sidebar({ session, route }: { session: Session | null; route: Route }) {
  const [theme, setTheme] = useTheme();
  const [signOutProblem, setSignOutProblem] = useState<string | null>(null);
  const signOut = () =>
    api.signOut().then(
      () => location.assign('/sign-in'),
      (e: Error) => setSignOutProblem(e.message),
    );
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
          <button type="button" className="cr-button cr-button-quiet" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
        {signOutProblem ? (
          <div className="sidebar-problem" role="alert">
            {signOutProblem}
          </div>
        ) : null}
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
      const to = ({ b: '/', n: '/new', r: '/runners' } as Record<string, string>)[e.key.toLowerCase()];
      if (to) {
        e.preventDefault();
        navigate(to);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

const TITLES: Record<Route['page'], string> = {
  board: 'Board',
  new: 'New job',
  job: 'Job',
  runners: 'Runners',
  device: 'Sign in a runner',
  pull: 'Pull request',
  'sign-in': 'Sign in',
  missing: 'Not found',
};

export function App() {
  const route = useRoute();
  useEffect(() => {
    document.title = `${TITLES[route.page]} · Coord`;
  }, [route]);
  // Signed out there is no session to load and no sidebar to show.
  return route.page === 'sign-in' ? <SignInPage /> : <SignedInApp route={route} />;
}

function SignedInApp({ route }: { route: Route }) {
  const [session, setSession] = useState<Session | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useShortcuts();
  useEffect(() => {
    api.session().then(setSession, (e: Error) => setProblem(e.message));
  }, []);

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
  else if (route.page === 'device') content = <DevicePage />;
  else if (route.page === 'pull')
    content = <PullPage key={hrefOf(route)} owner={route.owner} repo={route.repo} number={route.number} />;
  else content = <ErrorState title="No such page" action="Go back to the board." />;

  return (
    <div className="layout">
      <Sidebar session={session} route={route} />
      <main className="main">{content}</main>
    </div>
  );
}
