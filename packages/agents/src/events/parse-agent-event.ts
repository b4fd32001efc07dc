import { isAgentOutputEvent, type AgentEvent } from '@coord/runner-core';

/** What an agent may print of the AgentEvent union (its schema lives in core). */
export const isAgentEvent = isAgentOutputEvent;

/**
 * A line parser for agents whose wire format is the AgentEvent union itself (the demo agent, test
 * fixtures). Throws on anything else, which the driver turns into an `agent.bad_output` warning.
 */
export function parseAgentEventLine(line: string): AgentEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not JSON');
  }
  if (!isAgentOutputEvent(value)) throw new Error('not an agent event');
  return [value];
}
