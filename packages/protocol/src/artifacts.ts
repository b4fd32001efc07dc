import { z } from 'zod';
import { timestampSchema } from './common.js';
import { relativePathSchema } from './job.js';

export const MAX_ARTIFACT_BYTES = 50 * 1024 * 1024;

/** Artifacts are uploaded as raw bytes (`application/octet-stream`) under their relative path. */
export const artifactViewSchema = z.object({
  path: relativePathSchema,
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: timestampSchema,
});
export type ArtifactView = z.infer<typeof artifactViewSchema>;

export const artifactResponseSchema = z.object({ artifact: artifactViewSchema });
export const artifactListSchema = z.object({ artifacts: z.array(artifactViewSchema) });
