import type { Store } from '../db/store.js';

export function forgeApiBase(store: Store): string {
  return `${store.baseUrl}/forge/api`;
}

export function forgeCloneUrl(store: Store, owner: string, name: string): string {
  return `${store.baseUrl}/forge/git/${owner}/${name}.git`;
}

export function forgeHtmlUrl(store: Store, owner: string, name: string): string {
  return `${store.baseUrl}/forge/${owner}/${name}`;
}

/** Whether a clone URL points at this server's forge (any loopback spelling, this port). */
export function isForgeCloneUrl(store: Store, cloneUrl: string): boolean {
  let url: URL;
  let base: URL;
  try {
    url = new URL(cloneUrl);
    base = new URL(store.baseUrl);
  } catch {
    return false;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  const sameHost =
    url.hostname === base.hostname || (loopback.includes(url.hostname) && loopback.includes(base.hostname));
  return (
    url.protocol === base.protocol &&
    sameHost &&
    url.port === base.port &&
    url.pathname.startsWith('/forge/git/')
  );
}
