import type { AgentEvent, AgentResult, AgentRun } from '@coord/runner-core';
import { createEventChannel } from '../process/event-channel.js';

/**
 * One AgentRun made of a first run and, when `fallBack()` says so once it has ended, a second
 * one. Used when an agent rejects a resume (Claude Code, Codex, ACP agents): the runner sees one run whose events continue
 * into the fresh session, and one result (the second's). A stop or kill reaches whichever run is
 * current, and a stopped first run is never followed by a second.
 */
export function withFallback(
  first: AgentRun,
  fallBack: (result: AgentResult) => AgentEvent | null,
  startSecond: () => AgentRun,
): AgentRun {
  const channel = createEventChannel<AgentEvent>();
  let current = first;
  let stopped = false;

  const drain = (run: AgentRun): Promise<void> =>
    new Promise((resolve) => {
      run.events$.subscribe({ next: (e) => channel.next(e), complete: resolve, error: () => resolve() });
    });

  const result = (async (): Promise<AgentResult> => {
    await drain(first);
    const firstResult = await first.result;
    const notice = stopped ? null : fallBack(firstResult);
    if (!notice) {
      channel.complete();
      return firstResult;
    }
    channel.next(notice);
    current = startSecond();
    await drain(current);
    const secondResult = await current.result;
    channel.complete();
    return secondResult;
  })();

  return {
    events$: channel.events$,
    result,
    respond: (requestId, answer) => current.respond(requestId, answer),
    async interrupt(graceMs) {
      stopped = true;
      await current.interrupt(graceMs);
      await result;
    },
    kill() {
      stopped = true;
      current.kill();
    },
  };
}
