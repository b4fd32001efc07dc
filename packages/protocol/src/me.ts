import { z } from 'zod';
import { idSchema } from './common.js';

/** `GET /v1/me`: who the token belongs to and where it may submit jobs. */
export const meResponseSchema = z.object({
  account: z.object({ id: idSchema, name: z.string() }),
  workspaces: z.array(z.object({ id: idSchema, name: z.string() })),
});
export type MeResponse = z.infer<typeof meResponseSchema>;

/**
 * `POST /v1/me/web-sign-in`: a one-time link that signs the token's account in to the server's web
 * page, so a person never pastes (or sees) the token. Used once, or expired, it signs nobody in.
 * Optional: a server without a web page answers 404.
 */
export const webSignInLinkSchema = z.object({
  url: z.string().url(),
  expiresAt: z.string().datetime(),
});
export type WebSignInLink = z.infer<typeof webSignInLinkSchema>;
