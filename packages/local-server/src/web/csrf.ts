import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { ApiError } from '../errors.js';
import type { Deps } from '../http/context.js';

/** The header the web app sends its CSRF token in (a custom header: other sites cannot set it). */
export const CSRF_HEADER = 'x-coord-csrf';

/**
 * The token a state-changing request carries: derived from a secret only the browser holds, in an
 * HttpOnly SameSite=Strict cookie (the session id, or the sign-in page's nonce). A page on another
 * site can neither read that cookie nor compute the token.
 */
export function csrfToken(secret: string): string {
  return createHmac('sha256', secret).update('coord-csrf-v1').digest('base64url');
}

/** Compared in constant time. */
export function csrfValid(secret: string | undefined, submitted: string | undefined): boolean {
  if (!secret || !submitted) return false;
  const expected = Buffer.from(csrfToken(secret));
  const actual = Buffer.from(submitted);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Browsers send `Origin` with every request that is not a GET or HEAD, same-origin ones included:
 * one without it did not come from our pages. (A foreign one never gets here: server.ts refuses it.)
 */
export function requireOwnOrigin(deps: Deps, c: Context): void {
  const origin = c.req.header('origin')?.toLowerCase();
  if (!origin || !deps.policy().origins.has(origin)) {
    throw new ApiError(403, 'request.forbidden_origin', 'Requests from other sites are refused');
  }
}
