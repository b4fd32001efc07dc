import { z } from 'zod';
import { timestampSchema } from './common.js';
import { relativePathSchema } from './job.js';

export const MAX_ARTIFACT_BYTES = 50 * 1024 * 1024;

/**
 * The sha256 (lowercase hex) of an artifact's bytes: sent by the runner with each upload, checked
 * by the server before it stores anything, and returned with each download.
 */
export const ARTIFACT_SHA256_HEADER = 'Coord-Content-Sha256';
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

/** Artifacts are uploaded as raw bytes (`application/octet-stream`) under their relative path. */
export const artifactViewSchema = z.object({
  path: relativePathSchema,
  size: z.number().int().nonnegative(),
  sha256: sha256HexSchema,
  createdAt: timestampSchema,
});
export type ArtifactView = z.infer<typeof artifactViewSchema>;

export const artifactResponseSchema = z.object({ artifact: artifactViewSchema });
export const artifactListSchema = z.object({ artifacts: z.array(artifactViewSchema) });
