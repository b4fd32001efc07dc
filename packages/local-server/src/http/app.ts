import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '@coord/runner-protocol';
import { Hono, type ErrorHandler } from 'hono';
import { accountByToken } from '../db/accounts.js';
import { ApiError } from '../errors.js';
import { forgeApiRoutes } from '../forge/api.js';
import { appRoutes } from '../web/app-shell.js';
import { browserApi } from '../web/browser-api.js';
import { signInRoutes } from '../web/sign-in.js';
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

/** Builds the whole HTTP app: the v1 protocol, the forge's REST API and the web app. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const v1 = new Hono<AppEnv>();

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
  // Before /api and its session check: a person signing in has no session yet.
  const signIn = new Hono<AppEnv>();
  signIn.route('/', signInRoutes(deps));
  signIn.onError(apiErrors);
  app.route('/api', signIn);
  app.route('/api', browserApi(deps));
  app.route('/', appRoutes(deps));
  app.notFound((c) =>
    c.json(new ApiError(404, 'request.not_found', `No route ${c.req.method} ${c.req.path}`).toBody(), 404),
  );
  return app;
}
