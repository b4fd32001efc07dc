import { z } from 'zod';

/** Ids are opaque strings chosen by the server (or by the runner, for interactions). */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be letters, digits, and . _ : - only');

/**
 * A link people will open (a pull request): http or https only, never `javascript:`, `data:` or
 * `file:`; no whitespace or control characters, no credentials.
 */
export const webUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2048)
  .refine(
    (value) =>
      !/\s/.test(value) && ![...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
    'must not contain whitespace or control characters',
  )
  .refine((value) => {
    const url = URL.parse(value); // null when the url check above failed already
    return !url?.username && !url?.password;
  }, 'must not contain credentials');

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
