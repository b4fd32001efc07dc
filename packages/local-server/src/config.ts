import type { Timings } from '@coord/runner-protocol';

export interface ServerTimings extends Timings {
  /** How often expired leases are looked for. */
  sweepIntervalMs: number;
  /**
   * A job whose runner was lost (its lease expired) is offered to that runner alone for this long,
   * so a runner that comes back resumes its own session in its own work dir; then to any.
   */
  affinityMs: number;
  /** Device sign-in: how long a code lasts, and the poll interval a runner is given. */
  deviceCodeTtlMs: number;
  devicePollMs: number;
}

/** DESIGN.md section 10. */
export const defaultTimings: ServerTimings = {
  leaseRenewMs: 15_000,
  leaseTtlMs: 60_000,
  claimWaitMs: 25_000,
  sweepIntervalMs: 1_000,
  affinityMs: 30_000,
  deviceCodeTtlMs: 15 * 60_000,
  devicePollMs: 5_000,
};

export function resolveTimings(overrides: Partial<ServerTimings> = {}): ServerTimings {
  const merged = { ...defaultTimings };
  for (const key of Object.keys(defaultTimings) as (keyof ServerTimings)[]) {
    const value = overrides[key];
    if (value !== undefined) {
      if (!Number.isInteger(value) || value <= 0)
        throw new TypeError(`timings.${key} must be a positive integer`);
      merged[key] = value;
    }
  }
  return merged;
}
