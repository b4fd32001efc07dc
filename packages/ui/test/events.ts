import type { AttemptEvent } from '@coord/runner-protocol';

let seq = 0;

/** An attempt event as the server stores it; seqs count up from 1 per test file. */
export function event(type: string, data: Record<string, unknown>): AttemptEvent {
  seq += 1;
  return { seq, at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), type, data };
}

/** A `job.agent` event wrapping an agent event. */
export const agent = (e: Record<string, unknown>): AttemptEvent => event('job.agent', { event: e });

export function resetSeq(): void {
  seq = 0;
}
