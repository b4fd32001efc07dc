import type { AgentEvent } from './agent-event.js';

/**
 * Agents that stream send some things twice. An answer comes as text deltas while it is written,
 * then whole (Codex, Gemini, Claude Code with partial messages); a command's output comes as
 * chunks while it runs, then whole with its result (Codex's aggregated output, the demo agent).
 * This marks the whole one `streamed` (a message after text deltas since the last message or
 * turn; a tool's result after output chunks of that tool call), so a log can show it once. The
 * text stays in the event: it is the job's summary, or the tool's result for whoever reads it.
 * One marker per agent run, fed every event in order.
 */
export function createStreamedMarker(): (event: AgentEvent) => AgentEvent {
  let deltas = false;
  /** Tool calls whose output streamed, until they complete (or the turn or process ends). */
  const streamedTools = new Set<string>();
  return (event) => {
    switch (event.type) {
      case 'message.delta':
        if (event.channel === 'text' && event.text !== '') deltas = true;
        return event;
      case 'tool.output':
        if (event.chunk !== '') streamedTools.add(event.toolCallId);
        return event;
      case 'tool.completed': {
        const streamed = streamedTools.delete(event.toolCallId);
        return streamed && event.output ? { ...event, streamed: true } : event;
      }
      case 'turn.completed':
      case 'process.exited':
        deltas = false;
        streamedTools.clear();
        return event;
      case 'message.completed': {
        if (event.role !== 'assistant') return event;
        const streamed = deltas;
        deltas = false;
        return streamed ? { ...event, streamed: true } : event;
      }
      default:
        return event;
    }
  };
}
