import type { AgentEvent, AgentResult, AgentRun } from '@coord/runner-core';
import { Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startAfter } from './deferred-run.js';

function fakeRun() {
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
    events$.next({ type: 'message.completed', role: 'assistant', text: 'done' });
    events$.complete();
    settle({ status: 'completed', sessionId: 's-1', summary: 'done', usage: null, error: null });
  };
  return { run, end };
}

const notice: AgentEvent = { type: 'warning', message: 'waiting' };

describe('startAfter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts the run only once the wait is over, after the notice, with one event stream', async () => {
    const inner = fakeRun();
    const start = vi.fn(() => inner.run);
    const run = startAfter(5_000, notice, 's-1', start);
    const seen: AgentEvent[] = [];
    run.events$.subscribe((e) => seen.push(e));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(start).not.toHaveBeenCalled();
    expect(seen).toEqual([notice]);
    await vi.advanceTimersByTimeAsync(1);
    expect(start).toHaveBeenCalledOnce();
    run.respond('r', { kind: 'timeout' });
    expect(inner.run.respond).toHaveBeenCalledWith('r', { kind: 'timeout' });
    inner.end();
    expect(await run.result).toMatchObject({ status: 'completed', summary: 'done' });
    expect(seen.map((e) => e.type)).toEqual(['warning', 'message.completed']);
  });

  it('a stop during the wait ends it interrupted, keeps the session, and never starts the agent', async () => {
    const start = vi.fn(() => fakeRun().run);
    const run = startAfter(60_000, notice, 's-1', start);
    const seen: AgentEvent[] = [];
    run.events$.subscribe((e) => seen.push(e));
    await run.interrupt(1_000);
    expect(await run.result).toMatchObject({ status: 'interrupted', sessionId: 's-1', error: null });
    expect(seen.at(-1)).toMatchObject({ type: 'process.exited', sawTurnEnd: false });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(start).not.toHaveBeenCalled();
  });

  it('a kill during the wait does the same; a kill after the start reaches the agent', async () => {
    const start = vi.fn(() => fakeRun().run);
    startAfter(60_000, notice, null, start).kill();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(start).not.toHaveBeenCalled();

    const inner = fakeRun();
    const started = startAfter(10, notice, null, () => inner.run);
    await vi.advanceTimersByTimeAsync(10);
    started.kill();
    expect(inner.run.kill).toHaveBeenCalledOnce();
  });

  it('starts at once when there is nothing to wait for', () => {
    const inner = fakeRun();
    expect(startAfter(0, notice, null, () => inner.run)).toBe(inner.run);
  });
});
