import { z } from 'zod';

/**
 * Who resolved an interaction: a person (on this runner or the web), or nobody: it timed out
 * (the safe default applied), or it was withdrawn (the agent no longer waits for it).
 */
export const resolvedBySchema = z.enum(['runner', 'web', 'timeout', 'withdrawn']);
export type ResolvedBy = z.infer<typeof resolvedBySchema>;
