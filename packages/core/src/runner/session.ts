import type { RegisterRunnerResponse, Timings } from '@coord/runner-protocol';
import { batchBytesFor } from './event-uploader.js';

/**
 * What registration gave this runner: everything after it works inside one session, so the
 * runner id is always there (never "not registered yet").
 */
export interface RunnerSession {
  readonly runnerId: string;
  /** The server's timings, with the runner's own overrides (tests, benchmarks) on top. */
  readonly timings: Timings;
  /** The byte cap of one event upload: the configured one, below what the server takes. */
  readonly batchBytes: number;
}

export function openSession(
  registration: RegisterRunnerResponse,
  overrides: { timings?: Partial<Timings> | undefined; maxBatchBytes?: number | undefined },
): RunnerSession {
  return {
    runnerId: registration.runner.id,
    timings: { ...registration.timings, ...overrides.timings },
    batchBytes: batchBytesFor(overrides.maxBatchBytes, registration.limits),
  };
}
