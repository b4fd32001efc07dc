import { Subject } from 'rxjs';
import type { AgentEvent, AgentPort, AgentResult } from '@coord/runner-core';
import type { InteractionAnswer } from '@coord/runner-protocol';

/**
 * An agent that asks for one tool approval and finishes with what it was told. The real adapters
 * (Claude Code's can_use_tool, Codex's requestApproval) arrive in their own issue; until then this
 * drives the runner's interaction plumbing against the real server.
 */
export function createAskingAgent(): AgentPort & { answers: InteractionAnswer[]; withdraw(): void } {
  const answers: InteractionAnswer[] = [];
  let current: Subject<AgentEvent> | null = null;
  return {
    id: 'demo',
    displayName: 'Asking test agent',
    answers,
    /** The agent stops waiting for its request (as Claude Code does when interrupted). */
    withdraw: () => current?.next({ type: 'request.withdrawn', requestId: 'tool-1' }),
    detect: async () => ({ id: 'demo', state: 'detected', version: 'test', enabled: true }),
    start: () => {
      const events$ = new Subject<AgentEvent>();
      current = events$;
      let settle!: (result: AgentResult) => void;
      const result = new Promise<AgentResult>((resolve) => (settle = resolve));
      setTimeout(() => {
        events$.next({ type: 'session.started', sessionId: 'asking-session', resumed: false });
        events$.next({
          type: 'approval.requested',
          requestId: 'tool-1',
          toolName: 'Bash',
          kind: 'shell',
          summary: 'rm -rf build',
          input: { command: 'rm -rf build' },
        });
      }, 0);
      return {
        events$,
        result,
        respond: (requestId, answer) => {
          if (requestId !== 'tool-1') return;
          answers.push(answer);
          const verdict = answer.kind === 'approval' ? answer.decision : answer.kind;
          events$.next({ type: 'turn.completed', status: 'completed', finalText: `tool ${verdict}` });
          events$.next({ type: 'process.exited', code: 0, signal: null, sawTurnEnd: true });
          events$.complete();
          settle({
            status: 'completed',
            sessionId: 'asking-session',
            summary: `tool ${verdict}`,
            usage: null,
            error: null,
          });
        },
        interrupt: async () => undefined,
        kill: () => undefined,
      };
    },
  };
}
