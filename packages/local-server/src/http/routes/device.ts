import {
  deviceAuthorizeRequestSchema,
  deviceTokenRequestSchema,
  type DeviceAuthorization,
} from '@coord/runner-protocol';
import { Hono } from 'hono';
import { pollDevice, startDeviceSignIn } from '../../db/device-codes.js';
import type { AppEnv, Deps } from '../context.js';
import { requestOrigin } from '../origin.js';
import { readBody } from '../validate.js';

/**
 * Device sign-in, the two calls a runner makes without a token (mounted before the token check).
 * The verification URL uses the Host the runner reached, which the Host guard already checked.
 */
export function deviceRoutes({ store, policy }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/authorize', async (c) => {
    const { clientName } = await readBody(c, deviceAuthorizeRequestSchema);
    const started = startDeviceSignIn(store, clientName);
    const origin = requestOrigin({ store, policy }, c);
    const body: DeviceAuthorization = {
      deviceCode: started.deviceCode,
      userCode: started.userCode,
      verificationUri: `${origin}/device`,
      verificationUriComplete: `${origin}/device?code=${started.userCode}`,
      expiresInS: Math.max(1, Math.ceil(store.timings.deviceCodeTtlMs / 1000)),
      intervalS: Math.ceil(store.timings.devicePollMs / 1000),
    };
    return c.json(body);
  });

  app.post('/token', async (c) => {
    const { deviceCode } = await readBody(c, deviceTokenRequestSchema);
    return c.json(pollDevice(store, deviceCode));
  });

  return app;
}
