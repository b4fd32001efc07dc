import { useEffect, useState } from 'react';

/** The app's pages, read from the path (the server serves the same shell at each). */
export type Route =
  | { page: 'board' }
  | { page: 'new' }
  | { page: 'job'; jobId: string }
  | { page: 'runners' }
  | { page: 'device' }
  | { page: 'pull'; owner: string; repo: string; number: number }
  | { page: 'sign-in' }
  | { page: 'missing' };

const NAME = '[A-Za-z0-9_.-]+';

export function parseRoute(pathname: string): Route {
  const rest = pathname.replace(/^\/+/, '').replace(/\/$/, '');
  if (rest === '') return { page: 'board' };
  if (rest === 'new' || rest === 'runners' || rest === 'device' || rest === 'sign-in') return { page: rest };
  const job = /^jobs\/([A-Za-z0-9][A-Za-z0-9_.:-]*)$/.exec(rest);
  if (job) return { page: 'job', jobId: job[1]! };
  const pull = new RegExp(`^forge/(${NAME})/(${NAME})/pull/([1-9][0-9]{0,9})$`).exec(rest);
  if (pull) return { page: 'pull', owner: pull[1]!, repo: pull[2]!, number: Number(pull[3]) };
  return { page: 'missing' };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'board':
      return '/';
    case 'job':
      return `/jobs/${encodeURIComponent(route.jobId)}`;
    case 'pull':
      return `/forge/${route.owner}/${route.repo}/pull/${route.number}`;
    case 'missing':
      return '/';
    default:
      return `/${route.page}`;
  }
}

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
