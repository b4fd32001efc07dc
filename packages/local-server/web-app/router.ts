import { useEffect, useState } from 'react';

/** The app's pages, read from the path under /app. */
export type Route =
  | { page: 'board' }
  | { page: 'new' }
  | { page: 'job'; jobId: string }
  | { page: 'runners' }
  | { page: 'missing' };

export function parseRoute(pathname: string): Route {
  const rest = pathname.replace(/^\/app\/?/, '').replace(/\/$/, '');
  if (rest === '') return { page: 'board' };
  if (rest === 'new') return { page: 'new' };
  if (rest === 'runners') return { page: 'runners' };
  const job = /^jobs\/([A-Za-z0-9][A-Za-z0-9_.:-]*)$/.exec(rest);
  return job ? { page: 'job', jobId: job[1]! } : { page: 'missing' };
}

export const hrefOf = (route: Route): string =>
  route.page === 'board'
    ? '/app'
    : route.page === 'job'
      ? `/app/jobs/${encodeURIComponent(route.jobId)}`
      : `/app/${route.page}`;

export function navigate(href: string): void {
  history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return route;
}
