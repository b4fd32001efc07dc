import type { Context } from 'hono';
import type { Deps } from './context.js';

/**
 * The origin a request reached this server by (its Host, which the Host guard already checked),
 * for links handed back to the caller: a person behind a proxy gets links that work for them.
 */
export function requestOrigin({ store, policy }: Pick<Deps, 'store' | 'policy'>, c: Context): string {
  const host = (c.req.header('host') ?? new URL(store.baseUrl).host).toLowerCase();
  return `${policy().httpsHosts.has(host) ? 'https' : 'http'}://${host}`;
}
