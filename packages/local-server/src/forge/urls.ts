import type { Store } from '../db/store.js';

export function forgeApiBase(store: Store): string {
  return `${store.baseUrl}/forge/api`;
}

/** The job's page on this server's web app, linked from its pull request. */
export function jobPageUrl(store: Store, jobId: string): string {
  return `${store.baseUrl}/jobs/${encodeURIComponent(jobId)}`;
}

export function forgeCloneUrl(store: Store, owner: string, name: string): string {
  return `${store.baseUrl}/forge/git/${owner}/${name}.git`;
}

export function forgeHtmlUrl(store: Store, owner: string, name: string): string {
  return `${store.baseUrl}/forge/${owner}/${name}`;
}

/** The URL, parsed, if it points at this server (any loopback spelling, this port). */
function ownUrl(store: Store, value: string): URL | null {
  let url: URL;
  let base: URL;
  try {
    url = new URL(value);
    base = new URL(store.baseUrl);
  } catch {
    return null;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  const sameHost =
    url.hostname === base.hostname || (loopback.includes(url.hostname) && loopback.includes(base.hostname));
  return url.protocol === base.protocol && sameHost && url.port === base.port ? url : null;
}

/** Whether a clone URL points at this server's forge. */
export function isForgeCloneUrl(store: Store, cloneUrl: string): boolean {
  return ownUrl(store, cloneUrl)?.pathname.startsWith('/forge/git/') ?? false;
}

/** Whether `value` is this forge's page of pull request `number` of `owner/name`, and nothing else. */
export function isForgePullUrl(
  store: Store,
  value: string,
  owner: string,
  name: string,
  number: number,
): boolean {
  const url = ownUrl(store, value);
  return (
    url !== null &&
    url.pathname === `/forge/${owner}/${name}/pull/${number}` &&
    url.search === '' &&
    url.hash === '' &&
    !url.username &&
    !url.password
  );
}
