import type { AgentEvent, AgentResult, AgentRun } from '@coord/runner-core';
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { withFallback } from './fallback-run.js';

function fakeRun(summary: string) {
  const events$ = new Subject<AgentEvent>();
  let settle!: (result: AgentResult) => void;
  const result = new Promise<AgentResult>((resolve) => (settle = resolve));
  const run: AgentRun = {
    events$,
    result,
    respond: vi.fn(),
    interrupt: vi.fn(() => Promise.resolve()),
    kill: vi.fn(),
  };
  const end = () => {
    events$.next({ type: 'message.completed', role: 'assistant', text: summary });
    events$.complete();
    settle({ status: 'completed', sessionId: summary, summary, usage: null, error: null });
  };
  return { run, end };
}

const notice: AgentEvent = { type: 'warning', message: 'falling back' };

describe('withFallback', () => {
  it('continues into the second run when asked, with one event stream and its result', async () => {
    const first = fakeRun('first');
    const second = fakeRun('second');
    const run = withFallback(
      first.run,
      () => notice,
      () => second.run,
    );
    const seen: AgentEvent[] = [];
    run.events$.subscribe((e) => seen.push(e));
    first.end();
    await vi.waitFor(() => expect(seen).toContainEqual(notice));
    run.respond('r', { kind: 'timeout' });
    expect(second.run.respond).toHaveBeenCalled();
    second.end();
    expect((await run.result).summary).toBe('second');
    expect(seen.map((e) => (e.type === 'message.completed' ? e.text : e.type))).toEqual([
      'first',
      'warning',
      'second',
    ]);
  });

  it('keeps the first result when no fallback is needed', async () => {
    const first = fakeRun('first');
    const start = vi.fn();
    const run = withFallback(first.run, () => null, start);
    first.end();
    expect((await run.result).summary).toBe('first');
    expect(start).not.toHaveBeenCalled();
  });

  it('never starts the second run after a stop or a kill', async () => {
    const first = fakeRun('first');
    const start = vi.fn();
    const run = withFallback(first.run, () => notice, start);
    run.kill();
    expect(first.run.kill).toHaveBeenCalled();
    first.end();
    expect((await run.result).summary).toBe('first');
    expect(start).not.toHaveBeenCalled();
  });
});
