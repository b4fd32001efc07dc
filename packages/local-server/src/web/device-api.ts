import { Hono } from 'hono';
import { z } from 'zod';
import { decideDevice, normalizeUserCode, pendingDevice } from '../db/device-codes.js';
import { ApiError } from '../errors.js';
import type { AppEnv, Deps } from '../http/context.js';
import { parseValue, readBody } from '../http/validate.js';

/** What the device page shows before a person approves: who asks, with which code. */
export interface DeviceRequest {
  userCode: string;
  clientName: string;
  expiresAt: string;
}

const codeQuerySchema = z.object({ code: z.string().min(1).max(100) });
const decisionSchema = z.object({
  code: z.string().min(1).max(100),
  decision: z.enum(['approve', 'deny']),
});

const unknownCode = () =>
  new ApiError(404, 'device.invalid_code', 'That code is unknown, already used or expired.');

/** A code as typed (any case, spaces or a dash), or a 400 saying what a code looks like. */
function typedCode(value: string): string {
  const code = normalizeUserCode(value);
  if (!code)
    throw new ApiError(400, 'request.invalid', 'That is not a code a runner shows (like BCDF-GHJK).');
  return code;
}

/**
 * The web app's side of a runner's device sign-in (`coord-runner login`): look up the code the
 * runner shows, then approve or deny it as the signed-in person (their account's new token goes
 * to the runner on its next poll).
 */
export function deviceApi({ store }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/device', (c) => {
    const pending = pendingDevice(store, typedCode(parseValue(codeQuerySchema, c.req.query(), 'query').code));
    if (!pending) throw unknownCode();
    const device: DeviceRequest = {
      userCode: pending.userCode,
      clientName: pending.clientName,
      expiresAt: new Date(pending.expiresAt).toISOString(),
    };
    return c.json({ device });
  });

  app.post('/device', async (c) => {
    const body = await readBody(c, decisionSchema);
    const approved = body.decision === 'approve';
    decideDevice(store, c.get('account').id, typedCode(body.code), approved);
    return c.json({ approved });
  });

  return app;
}
