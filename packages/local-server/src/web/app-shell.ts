import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv, Deps } from '../http/context.js';
import { csrfToken } from './csrf.js';
import { SESSION_COOKIE, sessionAccount } from './session.js';
import { safeNext, signInCsrf } from './sign-in.js';

/** Where the built app's files are served from. */
const ASSETS = '/assets/';

/**
 * The pages of the web app. Each is the same shell; the app reads the path. `/jobs/:id` is also
 * the job URL runners put in pull requests (forge/urls.ts), and `/forge/…/pull/:n` the pull
 * request URL the forge reports.
 */
const PAGES = ['/', '/new', '/runners', '/device', '/jobs/:jobId', '/forge/:owner/:repo/pull/:number'];

/**
 * The built web app (`web-app/`, bundled by tsup): next to the bundle in dist, or in dist when
 * this module runs from src (tests).
 */
function assetsDir(): string | null {
  for (const candidate of ['./web-app/', '../../dist/web-app/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return null;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The app's own pages: scripts, styles and requests from this origin only, nothing inline (every
 * other answer has `DATA_CSP`).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The app's mark, also answered for /favicon.ico (browsers ask for it on every page). */
const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1l7 7-7 7-7-7z" fill="#5e6ad2"/></svg>';

/**
 * An HTML page of the app, with the page policy in place of the data policy every answer has.
 * Never stored: it carries a CSRF token and reflects the session (Back to a sign-in page after
 * signing in must ask the server, which sends a signed-in person on).
 */
function htmlPage(c: Context, html: string): Response | Promise<Response> {
  return c.html(html, 200, { 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store' });
}

/** The one HTML document: the token comes from the server (base64url, nothing to escape). */
function shell(csrf: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Coord</title>
<meta name="coord-csrf" content="${csrf.replace(/[^A-Za-z0-9_-]/g, '')}">
<link rel="icon" href="${ASSETS}icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS}app.css">
<script type="module" src="${ASSETS}app.js"></script>
</head><body><div id="root"></div></body></html>`;
}

/**
 * Serves the single-page web app: its files (read once, from a fixed list: no path from the
 * request reaches the file system) and, for every page path, the shell that loads them. Signed
 * out, a page goes to the sign-in page and comes back. The app's first home, `/app/…`, redirects.
 */
export function appRoutes(deps: Deps): Hono<AppEnv> {
  const { store } = deps;
  const app = new Hono<AppEnv>();
  const dir = assetsDir();
  const files = new Map<string, Buffer>();
  if (dir) {
    for (const name of readdirSync(dir)) {
      if (TYPES[extname(name)]) files.set(name, readFileSync(`${dir}${name}`));
    }
  }

  const icon = (c: Context) =>
    c.body(ICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400' });
  app.get(`${ASSETS}icon.svg`, icon);
  app.get('/favicon.ico', icon);

  app.get(`${ASSETS}:name`, (c) => {
    const name = c.req.param('name');
    const body = files.get(name);
    if (!body) return c.text('Not found', 404);
    return c.body(new Uint8Array(body), 200, {
      'content-type': TYPES[extname(name)]!,
      'cache-control': 'no-cache',
    });
  });

  const notBuilt = (c: Context) =>
    c.text('The web app is not built: run `pnpm build` in packages/local-server.', 503);

  const page = (c: Context<AppEnv>) => {
    const sessionId = getCookie(c, SESSION_COOKIE);
    if (!sessionId || !sessionAccount(store, sessionId)) {
      const url = new URL(c.req.url);
      return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    if (files.size === 0) return notBuilt(c);
    return htmlPage(c, shell(csrfToken(sessionId)));
  };
  for (const path of PAGES) app.get(path, page);

  app.get('/sign-in', (c) => {
    // Signed in already (a second tab, a bookmark): straight on to where it was going.
    if (sessionAccount(store, getCookie(c, SESSION_COOKIE)))
      return c.redirect(safeNext(c.req.query('next')), 303);
    return files.size === 0 ? notBuilt(c) : htmlPage(c, shell(signInCsrf(deps, c)));
  });

  const moved = (c: Context) => {
    const url = new URL(c.req.url);
    return c.redirect(`${url.pathname.replace(/^\/app(?=\/|$)/, '') || '/'}${url.search}`, 308);
  };
  app.get('/app', moved);
  app.get('/app/*', moved);
  return app;
}
