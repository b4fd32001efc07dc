import { describe, expect, it } from 'vitest';
import { classifyFailure, isRetryableInPlace } from './failure-class.js';

const failure = (code: string, retryable: boolean) => ({ code, message: code, retryable });

describe('failure classes', () => {
  it('calls agent crashes, timeouts, stalls, the network, 5xx and rate limits transient', () => {
    for (const code of ['agent.crashed', 'agent.timeout', 'agent.stalled', 'api.network'])
      expect(classifyFailure(failure(code, false)), code).toBe('transient');
    // A 5xx or a 429 arrives as a retryable HTTP error.
    expect(classifyFailure(failure('api.http_error', true))).toBe('transient');
    expect(classifyFailure(failure('agent.failed', true))).toBe('transient');
  });

  it('calls bad jobs, refused tokens, missing agents and policy denials permanent, whatever they say', () => {
    for (const code of [
      'job.invalid_payload',
      'auth.invalid_token',
      'agent.not_found',
      'agent.spawn_failed',
      'agent.budget_exceeded',
      'git.secret_detected',
    ])
      expect(classifyFailure(failure(code, true)), code).toBe('permanent');
    expect(classifyFailure(failure('api.http_error', false))).toBe('permanent');
  });

  it('retries in place only transient failures of the agent itself', () => {
    expect(isRetryableInPlace(failure('agent.crashed', true))).toBe(true);
    expect(isRetryableInPlace(failure('agent.stalled', true))).toBe(true);
    expect(isRetryableInPlace(failure('api.network', true))).toBe(false);
    expect(isRetryableInPlace(failure('agent.failed', false))).toBe(false);
    expect(isRetryableInPlace(null)).toBe(false);
  });
});
