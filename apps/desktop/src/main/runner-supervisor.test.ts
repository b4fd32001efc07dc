import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../packages/core/test/manual-clock.js';
import type { RunnerProcess } from '../shared/desktop-api.js';
import { createRunnerSupervisor, type RunnerChild } from './runner-supervisor.js';

class FakeChild implements RunnerChild {
  static next = 100;
  readonly pid = FakeChild.next++;
  killed = false;
  private listeners: ((code: number | null) => void)[] = [];
  onExit(listener: (code: number | null) => void) {
    this.listeners.push(listener);
  }
  kill() {
    this.killed = true;
    this.exit(null);
  }
  exit(code: number | null) {
    for (const l of this.listeners.splice(0)) l(code);
  }
}

function setup(overrides: { probe?: () => Promise<boolean>; output?: string } = {}) {
  const clock = new ManualClock();
  const children: FakeChild[] = [];
  const states: RunnerProcess[] = [];
  const stops: number[] = [];
  let up = false;
  const supervisor = createRunnerSupervisor({
    clock,
    spawn: () => {
      const child = new FakeChild();
      children.push(child);
      return child;
    },
    probe: overrides.probe ?? (async () => up),
    requestStop: async () => {
      stops.push(clock.now());
      // The runner finishes its jobs, then exits on its own.
      clock.setTimeout(() => children.at(-1)!.exit(0), 5_000);
    },
    lastOutput: () => overrides.output ?? '',
    onChange: (s) => states.push(s),
    backoff: { minDelayMs: 1_000, maxDelayMs: 30_000 },
    maxRestarts: 3,
    windowMs: 60_000,
    stopGraceMs: 20_000,
  });
  return { clock, children, states, stops, supervisor, setUp: (v: boolean) => (up = v) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('the runner supervisor', () => {
  it('is running once the runner answers on its control endpoint', async () => {
    const t = setup();
    t.supervisor.start();
    expect(t.supervisor.state()).toMatchObject({ status: 'starting', pid: t.children[0]!.pid });
    await flush();
    t.setUp(true);
    t.clock.advance(250);
    await flush();
    expect(t.supervisor.state()).toMatchObject({ status: 'running', restarts: 0 });
    // Starting again while it runs starts nothing.
    t.supervisor.start();
    expect(t.children).toHaveLength(1);
  });

  it('restarts a runner that died, after the backoff, and says why it died', async () => {
    const t = setup({ output: 'line one\nError: out of memory' });
    t.setUp(true);
    t.supervisor.start();
    await flush();
    t.children[0]!.exit(134);
    expect(t.supervisor.state()).toMatchObject({ status: 'restarting', restarts: 1 });
    expect(t.supervisor.state().message).toContain('exit code 134: Error: out of memory');
    expect(t.clock.nextTimerIn).toBe(1_000);
    t.clock.advance(999);
    expect(t.children).toHaveLength(1);
    t.clock.advance(1);
    expect(t.children).toHaveLength(2);
    await flush();
    expect(t.supervisor.state()).toMatchObject({ status: 'running', restarts: 1 });
    // The second crash in the window waits twice as long.
    t.children[1]!.exit(1);
    expect(t.clock.nextTimerIn).toBe(2_000);
  });

  it('stops restarting a runner that keeps dying, and starts again when asked', async () => {
    const t = setup();
    t.setUp(true);
    t.supervisor.start();
    for (let i = 0; i < 4; i += 1) {
      await flush();
      t.children.at(-1)!.exit(1);
      t.clock.advance(t.clock.nextTimerIn ?? 0);
    }
    expect(t.supervisor.state().status).toBe('crashed');
    expect(t.supervisor.state().message).toMatch(/exited 4 times in 1 minutes, so it is not restarted again/);
    expect(t.children).toHaveLength(4);
    expect(t.clock.pendingTimers).toBe(0);
    t.supervisor.start();
    expect(t.children).toHaveLength(5);
  });

  it('a stop asks the runner to finish gracefully and does not restart it', async () => {
    const t = setup();
    t.setUp(true);
    t.supervisor.start();
    await flush();
    const stopped = t.supervisor.stop();
    await flush();
    expect(t.stops).toHaveLength(1);
    t.clock.advance(5_000);
    await stopped;
    expect(t.supervisor.state().status).toBe('stopped');
    expect(t.children[0]!.killed).toBe(false);
    expect(t.children).toHaveLength(1);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('kills a runner that does not stop within the grace', async () => {
    const t = setup();
    t.setUp(true);
    t.supervisor.start();
    await flush();
    const child = t.children[0]!;
    // This runner ignores the stop.
    child.exit = () => {};
    child.kill = function () {
      this.killed = true;
      FakeChild.prototype.exit.call(this, null);
    };
    const stopped = t.supervisor.stop();
    await flush();
    t.clock.advance(20_000);
    await stopped;
    expect(child.killed).toBe(true);
    expect(t.supervisor.state().status).toBe('stopped');
  });

  it('a runner that cannot be spawned is reported, not retried in a loop', () => {
    const clock = new ManualClock();
    const supervisor = createRunnerSupervisor({
      clock,
      spawn: () => {
        throw new Error('ENOENT: coord-runner.js not found');
      },
      probe: async () => false,
      requestStop: async () => {},
      onChange: () => {},
    });
    supervisor.start();
    expect(supervisor.state()).toMatchObject({ status: 'crashed' });
    expect(supervisor.state().message).toContain('ENOENT: coord-runner.js not found');
    expect(clock.pendingTimers).toBe(0);
  });
});
