import type { AgentRun, ErrorPayload } from '@coord/runner-core';
import { of } from 'rxjs';

/** A run that failed before any process was started (an invalid job for this agent). */
export function settledRun(error: ErrorPayload): AgentRun {
  return {
    events$: of({ type: 'process.exited', code: null, signal: null, sawTurnEnd: false }),
    result: Promise.resolve({ status: 'failed', sessionId: null, summary: '', usage: null, error }),
    respond: () => undefined,
    interrupt: () => Promise.resolve(),
    kill: () => undefined,
  };
}
