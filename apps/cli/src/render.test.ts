import { describe, expect, it } from 'vitest';
import type { RunnerEvent } from '@coord/runner-core';
import { renderEvent } from './render.js';

const base = { at: 0, jobId: 'job_1', attemptId: 'att_1' };

describe('renderEvent', () => {
  it('ends a job with its outcome and pull request', () => {
    expect(
      renderEvent(
        {
          ...base,
          type: 'job.finished',
          outcome: 'succeeded',
          summary: 'done',
          pullRequest: { url: 'http://forge/pull/3', number: 3, branch: 'coord/x-1' },
          outputs: null,
          error: null,
        },
        { color: false },
      ),
    ).toBe('■ job job_1 succeeded: pull request #3 http://forge/pull/3');
  });

  it('says why and when the agent is retried in place', () => {
    const line = renderEvent(
      {
        ...base,
        type: 'job.retry',
        retry: 1,
        maxRetries: 2,
        delayMs: 2_400,
        reason: { code: 'agent.crashed', message: 'The demo agent was killed by SIGKILL', retryable: true },
        resumeSessionId: 's1',
      },
      { color: false },
    );
    expect(line).toBe(
      '  ↻ retrying the agent in place (1 of 2) in 3 s: The demo agent was killed by SIGKILL',
    );
  });

  it('names the error code and message of a failed job', () => {
    const line = renderEvent(
      {
        ...base,
        type: 'job.finished',
        outcome: 'failed',
        summary: '',
        pullRequest: null,
        outputs: null,
        error: { code: 'git.push_rejected', message: 'origin moved', retryable: false },
      },
      { color: false },
    );
    expect(line).toBe('■ job job_1 failed: git.push_rejected: origin moved');
  });

  it('labels the demo agent and indents tool output', () => {
    expect(
      renderEvent(
        {
          ...base,
          type: 'job.agent',
          event: { type: 'session.started', sessionId: 's1', resumed: false, demo: true },
        },
        { color: false },
      ),
    ).toContain('[demo agent: scripted, no AI]');
    expect(
      renderEvent(
        {
          ...base,
          type: 'job.agent',
          event: { type: 'tool.output', toolCallId: 't', stream: 'stdout', chunk: 'a\nb\n' },
        },
        { color: false },
      ),
    ).toBe('    │ a\n    │ b');
  });

  it('shows a tool result that did not stream, its start live and all of it in logs', () => {
    const done = (output: string, streamed?: boolean) =>
      ({
        ...base,
        type: 'job.agent',
        event: { type: 'tool.completed', toolCallId: 't', status: 'ok', exitCode: 0, output, streamed },
      }) as const;
    // Claude Code sends a command's output only with its result.
    expect(renderEvent(done('a\nb\n'), { color: false })).toBe('    │ a\n    │ b\n    ok (exit 0)');
    // Streamed (Codex, the demo agent): its lines are on the screen already.
    expect(renderEvent(done('a\nb\n', true), { color: false })).toBe('    ok (exit 0)');
    const long = Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n');
    expect(renderEvent(done(long), { color: false })!.split('\n')).toEqual([
      ...['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5'].map((l) => `    │ ${l}`),
      '    │ … 4 more lines',
      '    ok (exit 0)',
    ]);
    expect(renderEvent(done(long), { color: false, resultLines: Infinity })!.split('\n')).toHaveLength(11);
  });

  it('prints nothing for streaming deltas and usage', () => {
    expect(
      renderEvent(
        { ...base, type: 'job.agent', event: { type: 'message.delta', channel: 'text', text: 'x' } },
        { color: false },
      ),
    ).toBeNull();
  });
});

describe('renderEvent with hostile remote data', () => {
  it('neutralises control characters in titles, messages and agent output, coloured or not', () => {
    const events = [
      {
        ...base,
        type: 'job.claimed' as const,
        attemptNumber: 1,
        workspaceId: 'w',
        title: 'x\u001b]0;pwned\u0007',
        agent: 'demo',
      },
      { ...base, type: 'job.log' as const, level: 'info' as const, message: 'a\u001b[2Kb' },
      {
        ...base,
        type: 'job.agent' as const,
        event: { type: 'message.completed' as const, role: 'assistant' as const, text: 'hi\u009b2J' },
      },
      {
        ...base,
        type: 'job.agent' as const,
        event: { type: 'tool.output' as const, toolCallId: 't', stream: 'stdout' as const, chunk: 'a\rb\n' },
      },
    ];
    for (const event of events) {
      const plain = renderEvent(event, { color: false })!;
      // eslint-disable-next-line no-control-regex
      expect(plain).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      // With colour, the only escapes are the runner's own SGR codes.
      // eslint-disable-next-line no-control-regex
      const coloured = renderEvent(event, { color: true })!.replace(/\u001b\[\d+(;\d+)*m/g, '');
      expect(coloured).toBe(plain);
    }
    expect(renderEvent(events[3]!, { color: false })).toBe('    │ a\n    │ b');
  });
});

describe('renderEvent: attempt states', () => {
  it('says each step in words, not the state name', () => {
    const line = (state: string) =>
      renderEvent({ ...base, type: 'job.state', state } as RunnerEvent, { color: false });
    expect(line('awaiting_input')).toBe('  ◦ waiting for an answer');
    expect(line('preparing')).toBe('  ◦ preparing the work directory');
    // A newer core's state, or one named like an object key, reads as its name.
    expect(line('verifying')).toBe('  ◦ verifying');
    expect(line('constructor')).toBe('  ◦ constructor');
  });
});
