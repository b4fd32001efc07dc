import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '@coord/runner-protocol';
import { Hono, type ErrorHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { accountByToken } from '../db/accounts.js';
import { ApiError } from '../errors.js';
import { forgeApiRoutes } from '../forge/api.js';
import { STYLE_HASH } from '../web/html.js';
import { APP_PREFIX, appRoutes } from '../web/app-shell.js';
import { browserApi } from '../web/browser-api.js';
import { webRoutes } from '../web/page.js';
import { bearerToken } from './auth.js';
import type { AppEnv, Deps } from './context.js';
import { artifactRoutes } from './routes/artifacts.js';
import { attemptRoutes } from './routes/attempts.js';
import { deviceRoutes } from './routes/device.js';
import { jobRoutes } from './routes/jobs.js';
import { runnerRoutes } from './routes/runners.js';

/** JSON error bodies for the API: ApiErrors as they are, anything else a logged 500. */
const apiErrors: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) {
    const headers: Record<string, string> =
      error.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="coord"' } : {};
    return c.json(error.toBody(), error.status, headers);
  }
  console.error('coord-local-server: internal error', error);
  return c.json(new ApiError(500, 'server.internal', 'Internal server error').toBody(), 500);
};

/** Builds the whole HTTP app: the v1 protocol, the forge's REST API and the web page. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const v1 = new Hono<AppEnv>();

  // Every answer, pages and JSON alike: nothing but our own style, forms and images; never framed.
  // The web app's pages also run their own script and call their own API; still nothing inline.
  const headers = (csp: { scriptSrc?: string[]; styleSrc: string[]; connectSrc?: string[] }) =>
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        ...csp,
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
      xFrameOptions: 'DENY',
      // Never a referrer to other sites. Not `no-referrer`: with it browsers send `Origin: null` on
      // form posts, and the Origin guard then refuses the pages' own forms.
      referrerPolicy: 'same-origin',
      strictTransportSecurity: false, // served over plain http; a TLS proxy in front sets its own
    });
  const pageHeaders = headers({ styleSrc: [STYLE_HASH] });
  const appHeaders = headers({ scriptSrc: ["'self'"], styleSrc: ["'self'"], connectSrc: ["'self'"] });
  app.use('*', (c, next) =>
    c.req.path === APP_PREFIX || c.req.path.startsWith(`${APP_PREFIX}/`)
      ? appHeaders(c, next)
      : pageHeaders(c, next),
  );

  // A missing header means "1"; anything else must name a major this server speaks.
  v1.use('*', async (c, next) => {
    const header = c.req.header(PROTOCOL_HEADER);
    if (header !== undefined) {
      const major = /^\s*(\d+)(?:\.\d+)*\s*$/.exec(header)?.[1];
      if (major === undefined || Number(major) !== PROTOCOL_VERSION) {
        throw new ApiError(
          400,
          'protocol.unsupported_version',
          `This server speaks Coord protocol ${PROTOCOL_VERSION}; the client sent ${PROTOCOL_HEADER}: ${header.slice(0, 20)}. Update the runner or the server.`,
          { details: { supported: [PROTOCOL_VERSION] } },
        );
      }
    }
    await next();
  });

  v1.use('*', async (c, next) => {
    const header = c.req.header('authorization');
    if (!header)
      throw new ApiError(401, 'auth.missing_token', 'An Authorization: Bearer <token> header is required');
    const token = bearerToken(header);
    if (!token) {
      throw new ApiError(401, 'auth.invalid_token', 'Send the token as Authorization: Bearer <token>');
    }
    const account = accountByToken(deps.store, token);
    if (!account) throw new ApiError(401, 'auth.invalid_token', 'The token is not valid for this server');
    c.set('account', account);
    await next();
  });

  v1.route('/', runnerRoutes(deps));
  v1.route('/', attemptRoutes(deps));
  v1.route('/', artifactRoutes(deps));
  v1.route('/', jobRoutes(deps));
  v1.notFound((c) =>
    c.json(new ApiError(404, 'request.not_found', `No route ${c.req.method} ${c.req.path}`).toBody(), 404),
  );
  v1.onError(apiErrors);

  // Before /v1 and its token check: a runner signing in has no token yet.
  const device = new Hono<AppEnv>();
  device.route('/', deviceRoutes(deps));
  device.onError(apiErrors);
  app.route('/v1/device', device);
  app.route('/v1', v1);
  app.route('/forge/api', forgeApiRoutes(deps.store));
  app.route('/api', browserApi(deps));
  app.route('/', appRoutes(deps.store));
  app.route('/', webRoutes(deps));
  app.notFound((c) =>
    c.json(new ApiError(404, 'request.not_found', `No route ${c.req.method} ${c.req.path}`).toBody(), 404),
  );
  return app;
}
