import { describe, expect, it } from 'vitest';
import { applyEvent, buildResult, initialRunState, type RunEnd } from './run-state.js';

const exited = (over: Partial<Extract<RunEnd, { kind: 'exited' }>> = {}): RunEnd => ({
  kind: 'exited',
  code: 0,
  signal: null,
  stopRequested: false,
  timedOut: false,
  badOutput: null,
  stderrTail: '',
  ...over,
});

describe('applyEvent', () => {
  it('tracks the session, the last assistant text and the turn end', () => {
    const state = initialRunState();
    applyEvent(state, { type: 'session.started', sessionId: 's1', resumed: false });
    applyEvent(state, { type: 'message.completed', role: 'assistant', text: 'hi' });
    applyEvent(state, { type: 'turn.completed', status: 'completed', finalText: 'done' });
    expect(state).toMatchObject({ sessionId: 's1', lastAssistantText: 'hi', turnEnd: { finalText: 'done' } });
  });

  it('adds incremental usage and replaces cumulative usage', () => {
    const state = initialRunState();
    applyEvent(state, { type: 'usage', inputTokens: 1, outputTokens: 2, cumulative: false });
    applyEvent(state, { type: 'usage', inputTokens: 3, outputTokens: 4, costUsd: 0.5, cumulative: false });
    expect(state.usage).toEqual({ inputTokens: 4, outputTokens: 6, costUsd: 0.5 });
    applyEvent(state, { type: 'usage', inputTokens: 10, outputTokens: 20, cumulative: true });
    expect(state.usage).toEqual({ inputTokens: 10, outputTokens: 20 });
  });
});

describe('buildResult', () => {
  it('never calls an exit code 0 without a turn end a success', () => {
    const result = buildResult('demo', initialRunState(), exited({ code: 0 }));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'agent.crashed', retryable: true });
  });

  it('succeeds on a completed turn even with a non-zero exit, with the final text as summary', () => {
    const state = initialRunState();
    applyEvent(state, { type: 'turn.completed', status: 'completed', finalText: 'all done' });
    expect(buildResult('demo', state, exited({ code: 1 }))).toMatchObject({
      status: 'completed',
      summary: 'all done',
      error: null,
    });
  });

  it('maps a failed turn to agent.failed (not retryable) and redacts the stderr tail of a crash', () => {
    const state = initialRunState();
    applyEvent(state, { type: 'turn.completed', status: 'failed', error: 'boom' });
    expect(buildResult('demo', state, exited()).error).toMatchObject({
      code: 'agent.failed',
      retryable: false,
    });
    const crash = buildResult(
      'demo',
      initialRunState(),
      exited({ code: null, signal: 'SIGKILL', stderrTail: 'token ghp_abcdefghijkl' }),
    );
    expect(crash.error?.message).toContain('killed by SIGKILL');
    expect(crash.error?.message).not.toContain('ghp_abcdefghijkl');
  });

  it('reports a stop without a turn end as interrupted, and a timeout as retryable', () => {
    expect(
      buildResult('demo', initialRunState(), exited({ stopRequested: true, signal: 'SIGTERM' })).status,
    ).toBe('interrupted');
    expect(buildResult('demo', initialRunState(), exited({ timedOut: true })).error).toMatchObject({
      code: 'agent.timeout',
      retryable: true,
    });
  });

  it('explains a missing program', () => {
    const result = buildResult('codex', initialRunState(), { kind: 'not_found', file: 'codex' });
    expect(result.error).toMatchObject({ code: 'agent.not_found', retryable: false });
    expect(result.error?.message).toContain('"codex"');
  });
});
