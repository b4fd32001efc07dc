import { of } from 'rxjs';
import type { AgentPort } from '@coord/runner-core';

/** An agent that finishes at once: the benchmark measures the runner and server, not an agent. */
export function createInstantAgent(): AgentPort {
  return {
    id: 'demo',
    displayName: 'Instant benchmark agent',
    detect: async () => ({ id: 'demo', state: 'detected', version: 'bench', enabled: true }),
    start: () => ({
      events$: of({ type: 'turn.completed', status: 'completed' } as const),
      result: Promise.resolve({
        status: 'completed',
        sessionId: null,
        summary: '',
        usage: null,
        error: null,
      }),
      respond: () => undefined,
      interrupt: async () => undefined,
      kill: () => undefined,
    }),
  };
}
