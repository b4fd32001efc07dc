import { z } from 'zod';
import { idSchema } from './common.js';

/** `GET /v1/me`: who the token belongs to and where it may submit jobs. */
export const meResponseSchema = z.object({
  account: z.object({ id: idSchema, name: z.string() }),
  workspaces: z.array(z.object({ id: idSchema, name: z.string() })),
});
export type MeResponse = z.infer<typeof meResponseSchema>;
