import type { AgentEvent } from './agent-event.js';

/**
 * Agents that stream (Codex, Gemini, Claude Code with partial messages) send an answer twice: as
 * text deltas while it is written, then whole. This marks the whole message `streamed` when text
 * deltas came since the last message or turn, so a log can show it once; the text stays (it is
 * the job's summary, and what a terminal shows). One marker per agent run, fed every event in order.
 */
export function createStreamedMessageMarker(): (event: AgentEvent) => AgentEvent {
  let deltas = false;
  return (event) => {
    if (event.type === 'message.delta') {
      if (event.channel === 'text' && event.text !== '') deltas = true;
      return event;
    }
    if (event.type === 'turn.completed' || event.type === 'process.exited') deltas = false;
    if (event.type !== 'message.completed' || event.role !== 'assistant') return event;
    const streamed = deltas;
    deltas = false;
    return streamed ? { ...event, streamed: true } : event;
  };
}
