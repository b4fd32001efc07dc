import { z } from 'zod';
import { idSchema } from './common.js';

/**
 * Signing a runner in without copying a token (RFC 8628's device authorization grant, in this
 * protocol's JSON style): the runner asks for a code, a person approves it in the web app while
 * signed in there, and the runner's polls then get a new token of that person's account.
 */

/** `POST /v1/device/authorize` (no token): who is asking, shown to the person who approves. */
export const deviceAuthorizeRequestSchema = z.object({
  clientName: z.string().trim().min(1).max(100),
});
export type DeviceAuthorizeRequest = z.infer<typeof deviceAuthorizeRequestSchema>;

/** The user code a person types: 8 letters that are hard to confuse, shown as `ABCD-EFGH`. */
export const userCodeSchema = z.string().regex(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);

export const deviceAuthorizationSchema = z.object({
  /** Secret: only the runner that asked holds it; it polls with it. */
  deviceCode: z.string().min(20).max(200),
  userCode: userCodeSchema,
  /** Where the person goes to approve; `verificationUriComplete` has the code filled in. */
  verificationUri: z.url(),
  verificationUriComplete: z.url(),
  expiresInS: z.number().int().positive(),
  /** Seconds between polls; `device.slow_down` asks for 5 more. */
  intervalS: z.number().int().positive(),
});
export type DeviceAuthorization = z.infer<typeof deviceAuthorizationSchema>;

/** `POST /v1/device/token` (no token). */
export const deviceTokenRequestSchema = z.object({ deviceCode: z.string().min(1).max(200) });
export type DeviceTokenRequest = z.infer<typeof deviceTokenRequestSchema>;

/**
 * Once approved: the new token (given once; the server keeps only its hash) and its account.
 * Before: 400 with `device.authorization_pending`, `device.slow_down`, `device.denied`,
 * `device.expired` or `device.invalid_code`.
 */
export const deviceTokenResponseSchema = z.object({
  token: z.string().min(20),
  account: z.object({ id: idSchema, name: z.string() }),
});
export type DeviceTokenResponse = z.infer<typeof deviceTokenResponseSchema>;

/** `POST /v1/me/sign-out`: forgets the calling token if a device sign-in minted it. */
export const signOutResponseSchema = z.object({ revoked: z.boolean() });
export type SignOutResponse = z.infer<typeof signOutResponseSchema>;
