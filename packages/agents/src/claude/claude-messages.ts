import { z } from 'zod';

/**
 * The subset of Claude Code's stream-json protocol this adapter reads and writes (checked against
 * CLI 2.1.332; fixtures in test/fixtures/claude-code-2.1.332). Schemas are lenient on purpose: a
 * newer CLI adds fields and message types every week, so unknown keys are ignored and only what
 * the adapter uses is required.
 */

const textBlock = z.object({ type: z.literal('text'), text: z.string() });
const thinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string() });
const toolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z
    .union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }))])
    .optional(),
  is_error: z.boolean().optional(),
});
/** Blocks of other types (images, server tools, newer kinds) are kept as "something else". */
const otherBlock = z.object({ type: z.string() });

export const assistantBlockSchema = z.union([textBlock, thinkingBlock, toolUseBlock, otherBlock]);
export const userBlockSchema = z.union([textBlock, toolResultBlock, otherBlock]);

export const systemInitSchema = z.object({
  type: z.literal('system'),
  subtype: z.literal('init'),
  session_id: z.string(),
  model: z.string().optional(),
  cwd: z.string().optional(),
  claude_code_version: z.string().optional(),
});

export const assistantMessageSchema = z.object({
  type: z.literal('assistant'),
  message: z.object({ content: z.array(assistantBlockSchema) }),
  /** Set for a subagent's messages (the Task tool). */
  parent_tool_use_id: z.string().nullish(),
});

export const userMessageSchema = z.object({
  type: z.literal('user'),
  message: z.object({ content: z.union([z.string(), z.array(userBlockSchema)]) }),
  parent_tool_use_id: z.string().nullish(),
});

const count = z.number().nonnegative().catch(0);
export const resultSchema = z.object({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean().optional(),
  result: z.string().nullish(),
  errors: z.array(z.string()).optional(),
  num_turns: z.number().optional(),
  terminal_reason: z.string().nullish(),
  total_cost_usd: z.number().nonnegative().optional(),
  usage: z
    .object({
      input_tokens: count,
      output_tokens: count,
      cache_read_input_tokens: count.optional(),
      cache_creation_input_tokens: count.optional(),
    })
    .optional(),
  /** Per model, including subagents and side calls: what accounting should use. */
  modelUsage: z
    .record(
      z.string(),
      z.object({
        inputTokens: count,
        outputTokens: count,
        cacheReadInputTokens: count.optional(),
        cacheCreationInputTokens: count.optional(),
      }),
    )
    .optional(),
  permission_denials: z
    .array(z.object({ tool_name: z.string(), tool_use_id: z.string().optional() }))
    .optional(),
});

export const askUserQuestionInputSchema = z.object({
  questions: z
    .array(
      z.object({
        question: z.string().min(1),
        header: z.string().optional(),
        options: z.array(z.object({ label: z.string(), description: z.string().optional() })).default([]),
        multiSelect: z.boolean().default(false),
      }),
    )
    .min(1),
});

export const canUseToolSchema = z.object({
  subtype: z.literal('can_use_tool'),
  tool_name: z.string(),
  input: z.record(z.string(), z.unknown()),
  tool_use_id: z.string().optional(),
  description: z.string().optional(),
  title: z.string().optional(),
  blocked_path: z.string().optional(),
  decision_reason: z.string().optional(),
  /** The CLI's own "always allow" proposals; "allow for this session" reuses them. */
  permission_suggestions: z.array(z.object({ type: z.string() }).loose()).optional(),
});

export const controlRequestSchema = z.object({
  type: z.literal('control_request'),
  request_id: z.string(),
  request: z.object({ subtype: z.string() }).loose(),
});

export const controlCancelSchema = z.object({
  type: z.literal('control_cancel_request'),
  request_id: z.string(),
});

export const controlResponseSchema = z.object({
  type: z.literal('control_response'),
  response: z.object({
    subtype: z.string(),
    request_id: z.string().optional(),
    error: z.string().optional(),
  }),
});

export type CanUseToolRequest = z.infer<typeof canUseToolSchema>;
export type AskUserQuestionInput = z.infer<typeof askUserQuestionInputSchema>;
export type ClaudeResult = z.infer<typeof resultSchema>;

// ---------------------------------------------------------------------------------------------
// What the adapter writes to stdin.

export type PermissionResult =
  | { behavior: 'allow'; updatedInput: Record<string, unknown>; updatedPermissions?: PermissionUpdate[] }
  | { behavior: 'deny'; message: string; interrupt?: boolean };

export interface PermissionUpdate {
  type: 'addRules';
  rules: Array<{ toolName: string; ruleContent?: string }>;
  behavior: 'allow';
  /** `session`: remembered for this process only, nothing written to settings files. */
  destination: 'session';
}

export function userMessageLine(text: string): string {
  return JSON.stringify({
    type: 'user',
    message: { role: 'user', content: text },
    parent_tool_use_id: null,
    session_id: 'default',
  });
}

export function controlSuccessLine(requestId: string, response: PermissionResult): string {
  return JSON.stringify({
    type: 'control_response',
    response: { subtype: 'success', request_id: requestId, response },
  });
}

export function controlErrorLine(requestId: string, error: string): string {
  return JSON.stringify({
    type: 'control_response',
    response: { subtype: 'error', request_id: requestId, error },
  });
}

export function interruptRequestLine(requestId: string): string {
  return JSON.stringify({
    type: 'control_request',
    request_id: requestId,
    request: { subtype: 'interrupt' },
  });
}
