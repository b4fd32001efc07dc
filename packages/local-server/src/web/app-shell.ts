import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { csrfToken } from './csrf.js';
import { escape } from './html.js';
import { SESSION_COOKIE, sessionAccount } from './session.js';
import type { Store } from '../db/store.js';

/** The web app's paths; its assets are under ASSETS. */
export const APP_PREFIX = '/app';
const ASSETS = `${APP_PREFIX}/assets/`;

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

/** The app's own pages: scripts, styles and requests from this origin only. */
export const APP_CSP = [
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

function shell(csrf: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Coord</title>
<meta name="coord-csrf" content="${escape(csrf)}">
<link rel="icon" href="${ASSETS}icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS}app.css">
<script type="module" src="${ASSETS}app.js"></script>
</head><body><div id="root"></div></body></html>`;
}

/**
 * Serves the single-page web app: its files (read once, from a fixed list: no path from the
 * request reaches the file system) and, for every page path, the shell that loads them. Signed
 * out, a page path goes to the sign-in form and comes back.
 */
export function appRoutes(store: Store): Hono<{ Bindings: Partial<HttpBindings> }> {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
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

  const page = (c: Context<{ Bindings: Partial<HttpBindings> }>) => {
    const sessionId = getCookie(c, SESSION_COOKIE);
    if (!sessionId || !sessionAccount(store, sessionId)) {
      const url = new URL(c.req.url);
      return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    if (files.size === 0) {
      return c.text('The web app is not built: run `pnpm build` in packages/local-server.', 503);
    }
    return c.html(shell(csrfToken(sessionId)));
  };
  app.get(APP_PREFIX, page);
  app.get(`${APP_PREFIX}/*`, page);
  return app;
}
