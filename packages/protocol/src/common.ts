import { z } from 'zod';

/** Ids are opaque strings chosen by the server (or by the runner, for interactions). */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be letters, digits, and . _ : - only');

/** ISO-8601 timestamp with offset, as produced by `new Date().toISOString()`. */
export const timestampSchema = z.iso.datetime({ offset: true });

export const platformSchema = z.enum(['linux', 'darwin', 'win32']);
export type Platform = z.infer<typeof platformSchema>;

/** Agents the runner knows; any ACP agent is `acp:<name>`. `demo` is the scripted demo agent. */
export const agentIdSchema = z
  .string()
  .regex(/^(claude-code|codex|gemini|demo|acp:[a-z0-9][a-z0-9-]{0,63})$/, 'unknown agent id');
export type AgentId = z.infer<typeof agentIdSchema>;

export const agentStateSchema = z.enum(['detected', 'not_found', 'unsupported']);
export type AgentState = z.infer<typeof agentStateSchema>;

export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
});
export type Usage = z.infer<typeof usageSchema>;
