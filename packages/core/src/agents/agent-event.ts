import { z } from 'zod';

/**
 * The normalized agent output every adapter produces (research/agent-protocols.md section 5.2),
 * defined once: the type and the validators are derived from this schema. Plain JSON: it is
 * spooled, uploaded and sent over IPC unchanged.
 */
export const toolKindSchema = z.enum([
  'shell',
  'edit',
  'read',
  'search',
  'web',
  'mcp',
  'question',
  'plan',
  'other',
]);
export type ToolKind = z.infer<typeof toolKindSchema>;

const questionSchema = z.object({
  id: z.string(),
  text: z.string(),
  options: z.array(z.object({ label: z.string(), description: z.string().optional() })),
  multiSelect: z.boolean(),
  allowFreeText: z.boolean(),
  /** Its answer is a secret (see the protocol's question). */
  secret: z.boolean().optional(),
});

/** The events an agent's own output may carry (an agent speaking this union directly, the demo). */
export const agentOutputEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('session.started'),
    sessionId: z.string(),
    model: z.string().optional(),
    resumed: z.boolean(),
    demo: z.boolean().optional(),
  }),
  z.object({ type: z.literal('message.delta'), channel: z.enum(['text', 'reasoning']), text: z.string() }),
  z.object({
    type: z.literal('message.completed'),
    role: z.enum(['assistant', 'user']),
    text: z.string(),
    /** Its text came before as text deltas (set by the runner): a log shows it once. */
    streamed: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('tool.started'),
    toolCallId: z.string(),
    name: z.string(),
    kind: toolKindSchema,
    // Present, whatever it holds (a tool without arguments sends null or {}).
    input: z.custom<unknown>((value) => value !== undefined, 'input is required'),
    title: z.string().optional(),
  }),
  z.object({
    type: z.literal('tool.output'),
    toolCallId: z.string(),
    stream: z.enum(['stdout', 'stderr']),
    chunk: z.string(),
  }),
  z.object({
    type: z.literal('tool.completed'),
    toolCallId: z.string(),
    status: z.enum(['ok', 'error', 'denied', 'cancelled']),
    output: z.string().optional(),
    exitCode: z.number().optional(),
    /** Its output came before as `tool.output` chunks (set by the runner): a log shows it once. */
    streamed: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('approval.requested'),
    requestId: z.string(),
    toolCallId: z.string().optional(),
    toolName: z.string(),
    kind: toolKindSchema,
    summary: z.string(),
    input: z.unknown(),
  }),
  z.object({
    type: z.literal('question.requested'),
    requestId: z.string(),
    questions: z.array(questionSchema),
  }),
  /** The agent no longer waits for an answer to this request (it was interrupted, or decided itself). */
  z.object({ type: z.literal('request.withdrawn'), requestId: z.string() }),
  z.object({
    type: z.literal('usage'),
    inputTokens: z.number(),
    outputTokens: z.number(),
    cachedInputTokens: z.number().optional(),
    costUsd: z.number().optional(),
    cumulative: z.boolean(),
  }),
  z.object({ type: z.literal('warning'), message: z.string() }),
  z.object({ type: z.literal('stderr'), line: z.string() }),
  z.object({
    type: z.literal('turn.completed'),
    status: z.enum(['completed', 'interrupted', 'failed', 'max_turns']),
    finalText: z.string().optional(),
    error: z.string().optional(),
  }),
]);

/** Said by the process driver itself once the agent exited; an agent printing one is bad output. */
export const processExitedEventSchema = z.object({
  type: z.literal('process.exited'),
  code: z.number().nullable(),
  signal: z.string().nullable(),
  sawTurnEnd: z.boolean(),
});

export const agentEventSchema = z.discriminatedUnion('type', [
  ...agentOutputEventSchema.options,
  processExitedEventSchema,
]);

export type AgentEvent = z.infer<typeof agentEventSchema>;
export type AgentEventType = AgentEvent['type'];

/** Validates one value against the AgentEvent union (shape only; unknown extra fields pass). */
export function isAgentEvent(value: unknown): value is AgentEvent {
  return agentEventSchema.safeParse(value).success;
}

/** Like isAgentEvent, but without the driver's own `process.exited`: what an agent may print. */
export function isAgentOutputEvent(value: unknown): value is Exclude<AgentEvent, { type: 'process.exited' }> {
  return agentOutputEventSchema.safeParse(value).success;
}
