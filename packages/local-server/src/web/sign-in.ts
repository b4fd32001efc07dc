import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { accountById, accountByToken, type Account } from '../db/accounts.js';
import { ApiError } from '../errors.js';
import type { AppEnv, Deps } from '../http/context.js';
import { readBody } from '../http/validate.js';
import { CSRF_HEADER, csrfToken, csrfValid, requireOwnOrigin } from './csrf.js';
import { redeemSignInLink } from './sign-in-links.js';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS } from './session.js';

/** The sign-in page's nonce: the secret its CSRF token derives from before there is a session. */
export const SIGN_IN_COOKIE = 'coord_sign_in';
const NONCE_TTL_MS = 60 * 60 * 1000;

/** Where to go after signing in: a path on this server only (never `//host` or a URL). */
export function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[^\s\\]{0,2000}$/.test(next) ? next : '/';
}

/** HttpOnly, SameSite=Strict, and Secure when the request came in over an https public URL. */
export function cookieOptions(deps: Deps, c: Context, maxAgeMs: number) {
  return {
    httpOnly: true,
    sameSite: 'Strict' as const,
    path: '/',
    maxAge: Math.floor(maxAgeMs / 1000),
    secure: deps.policy().httpsHosts.has((c.req.header('host') ?? '').toLowerCase()),
  };
}

/** The sign-in page's CSRF token: from its nonce cookie, set now if the browser has none yet. */
export function signInCsrf(deps: Deps, c: Context): string {
  let nonce = getCookie(c, SIGN_IN_COOKIE);
  if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
    nonce = randomBytes(32).toString('base64url');
    setCookie(c, SIGN_IN_COOKIE, nonce, cookieOptions(deps, c, NONCE_TTL_MS));
  }
  return csrfToken(nonce);
}

const next = z.string().max(2000).optional();
/** A pasted API token, or the code of a one-time link (`coord-runner local` prints one). */
const signInSchema = z.union([
  z.object({ token: z.string().trim().min(1).max(1000), next }).strict(),
  z.object({ code: z.string().regex(/^[A-Za-z0-9_-]{43}$/), next }).strict(),
]);

/** Who a sign-in names: the token's account, or the one a link's code was made for (spending it). */
function signInAccount(deps: Deps, body: z.infer<typeof signInSchema>): Account {
  if ('token' in body) {
    const account = accountByToken(deps.store, body.token);
    if (!account) throw new ApiError(401, 'auth.invalid_token', 'That token is not valid for this server.');
    return account;
  }
  const accountId = redeemSignInLink(deps.store, body.code);
  const account = accountId ? accountById(deps.store, accountId) : null;
  if (!account) {
    throw new ApiError(
      401,
      'auth.invalid_token',
      'This sign-in link was used already or has expired. Run `coord-runner web` for a new one.',
    );
  }
  return account;
}

/**
 * `POST /api/sign-in`: the sign-in page sends the token or link code it was given (JSON, its CSRF
 * token in a header, from our own origin) and gets a fresh session cookie and where to go next.
 */
export function signInRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/sign-in', async (c) => {
    requireOwnOrigin(deps, c);
    if (!csrfValid(getCookie(c, SIGN_IN_COOKIE), c.req.header(CSRF_HEADER))) {
      throw new ApiError(403, 'auth.forbidden', 'This sign-in page has expired: reload it and try again.');
    }
    const body = await readBody(c, signInSchema);
    const account = signInAccount(deps, body);
    // Always a fresh session id: nothing set before sign-in carries over (no session fixation).
    const sessionId = createSession(deps.store, account.id);
    deleteCookie(c, SIGN_IN_COOKIE, cookieOptions(deps, c, 0));
    setCookie(c, SESSION_COOKIE, sessionId, cookieOptions(deps, c, SESSION_TTL_MS));
    return c.json({ next: safeNext(body.next) });
  });
  return app;
}

/** `POST /api/sign-out` (behind the session and CSRF checks): the session ends on the server too. */
export function signOut(deps: Deps, c: Context<AppEnv>) {
  const sessionId = getCookie(c, SESSION_COOKIE);
  if (sessionId) deleteSession(deps.store, sessionId);
  deleteCookie(c, SESSION_COOKIE, cookieOptions(deps, c, 0));
  return c.json({ signedOut: true });
}
