import { Subject } from 'rxjs';
import type { AgentEvent, AgentPort, AgentResult } from '@coord/runner-core';

/** An agent that prints `count` lines as fast as the runner takes them, then finishes. */
export function createFloodAgent(count: number): AgentPort {
  return {
    id: 'demo',
    displayName: 'Flood benchmark agent',
    detect: async () => ({ id: 'demo', state: 'detected', version: 'bench', enabled: true }),
    start: () => {
      const events$ = new Subject<AgentEvent>();
      let settle!: (result: AgentResult) => void;
      const result = new Promise<AgentResult>((resolve) => (settle = resolve));
      // Emit in slices so the event loop (uploads, server) keeps running, as with a real process.
      let sent = 0;
      const pump = () => {
        const end = Math.min(count, sent + 1000);
        for (; sent < end; sent++) {
          events$.next({
            type: 'tool.output',
            toolCallId: 't1',
            stream: 'stdout',
            chunk: `line ${sent} of the flood\n`,
          });
        }
        if (sent < count) setImmediate(pump);
        else {
          events$.next({ type: 'turn.completed', status: 'completed', finalText: 'flooded' });
          events$.complete();
          settle({ status: 'completed', sessionId: null, summary: 'flooded', usage: null, error: null });
        }
      };
      setImmediate(pump);
      return {
        events$,
        result,
        respond: () => undefined,
        interrupt: async () => undefined,
        kill: () => undefined,
      };
    },
  };
}
