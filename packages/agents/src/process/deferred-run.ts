import type { AgentEvent, AgentResult, AgentRun } from '@coord/runner-core';
import { createEventChannel } from './event-channel.js';

/**
 * An AgentRun whose process starts only after `waitMs` (an agent that cannot safely start yet),
 * announced by `notice`. A stop or kill during the wait ends the run at once, `interrupted`, with
 * `sessionId` kept so a later try can still resume it; nothing is ever started after that.
 */
export function startAfter(
  waitMs: number,
  notice: AgentEvent,
  sessionId: string | null,
  start: () => AgentRun,
): AgentRun {
  if (waitMs <= 0) return start();
  const channel = createEventChannel<AgentEvent>();
  let current: AgentRun | null = null;
  let settle!: (result: AgentResult) => void;
  const result = new Promise<AgentResult>((resolve) => (settle = resolve));

  channel.next(notice);
  const timer = setTimeout(() => {
    current = start();
    current.events$.subscribe({
      next: (e) => channel.next(e),
      complete: () => channel.complete(),
      error: () => channel.complete(),
    });
    void current.result.then(settle);
  }, waitMs);

  const cancelWait = (): void => {
    clearTimeout(timer);
    channel.next({ type: 'process.exited', code: null, signal: null, sawTurnEnd: false });
    channel.complete();
    settle({ status: 'interrupted', sessionId, summary: '', usage: null, error: null });
  };

  return {
    events$: channel.events$,
    result,
    respond: (requestId, answer) => current?.respond(requestId, answer),
    async interrupt(graceMs) {
      if (current) await current.interrupt(graceMs);
      else cancelWait();
      await result;
    },
    kill() {
      if (current) current.kill();
      else cancelWait();
    },
  };
}
