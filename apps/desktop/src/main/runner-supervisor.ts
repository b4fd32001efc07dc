import { backoffDelayMs, type Backoff, type Clock } from '@coord/runner-core';
import type { RunnerProcess } from '../shared/desktop-api.js';

/** The process the runner runs in (Electron's UtilityProcess; a Node child in the harness). */
export interface RunnerChild {
  readonly pid: number | undefined;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

/** What Electron's UtilityProcess and Node's ChildProcess both have. */
export interface ForkedProcess {
  readonly pid?: number | undefined;
  readonly stdout?: { on(event: 'data', listener: (chunk: Buffer) => void): unknown } | null;
  readonly stderr?: { on(event: 'data', listener: (chunk: Buffer) => void): unknown } | null;
  on(event: 'exit', listener: (code: number | null) => void): unknown;
}

/** A forked runner as the supervisor sees it: its output goes to `onOutput`, `kill` ends it. */
export function asRunnerChild(
  proc: ForkedProcess,
  kill: () => void,
  onOutput: (chunk: Buffer) => void,
): RunnerChild {
  proc.stdout?.on('data', onOutput);
  proc.stderr?.on('data', onOutput);
  return {
    get pid() {
      return proc.pid;
    },
    onExit: (listener) => void proc.on('exit', (code) => listener(code)),
    kill,
  };
}

export interface SupervisorOptions {
  /** Starts the runner's process (the token reaches it through this call's environment only). */
  spawn(): RunnerChild;
  /** True once the runner answers on its control endpoint. */
  probe(): Promise<boolean>;
  /** Asks the running runner to stop its jobs gracefully (the control API's `stop`). */
  requestStop(): Promise<void>;
  /** The last lines the process printed, to say why it exited. */
  lastOutput?(): string;
  onChange(state: RunnerProcess): void;
  clock: Clock;
  /** Wait between restarts (the one backoff policy): a crash loop must not spin. */
  backoff?: Backoff;
  /** More exits than this within `windowMs` and the app stops restarting it. */
  maxRestarts?: number;
  windowMs?: number;
  /** How long a stop waits for the runner to finish its jobs before killing it. */
  stopGraceMs?: number;
  probeEveryMs?: number;
}

export interface RunnerSupervisor {
  state(): RunnerProcess;
  /** Starts the runner (again after a crash loop); a no-op while it runs. */
  start(): void;
  /** Stops it gracefully, killing it after the grace; restarts stop with it. */
  stop(): Promise<void>;
}

/**
 * Keeps the runner's utility process alive: a busy or crashed runner never takes the window with
 * it, and a runner that dies is started again after a backoff. One that keeps dying (five exits in
 * ten minutes) is left stopped with the reason, instead of spinning.
 */
export function createRunnerSupervisor(options: SupervisorOptions): RunnerSupervisor {
  const { clock } = options;
  const backoff = options.backoff ?? { minDelayMs: 1_000, maxDelayMs: 30_000 };
  const maxRestarts = options.maxRestarts ?? 5;
  const windowMs = options.windowMs ?? 10 * 60_000;
  const probeEveryMs = options.probeEveryMs ?? 250;
  let wanted = false;
  let child: RunnerChild | null = null;
  let exits: number[] = [];
  let timer: unknown = null;
  let generation = 0;
  let current: RunnerProcess = {
    status: 'stopped',
    message: null,
    restarts: 0,
    pid: null,
    since: clock.now(),
  };
  let exited: (() => void) | null = null;

  const set = (next: Omit<RunnerProcess, 'since' | 'restarts'> & { restarts?: number }) => {
    current = { restarts: current.restarts, ...next, since: clock.now() };
    options.onChange(current);
  };

  const clearTimer = () => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  };

  function launch(): void {
    const mine = ++generation;
    let proc: RunnerChild;
    try {
      proc = options.spawn();
    } catch (error) {
      wanted = false;
      set({
        status: 'crashed',
        message: `The runner could not start: ${(error as Error).message}`,
        pid: null,
      });
      return;
    }
    child = proc;
    set({ status: 'starting', message: null, pid: proc.pid ?? null });
    proc.onExit((code) => onExit(mine, code));
    const probe = () => {
      if (mine !== generation || child !== proc) return;
      void options.probe().then(
        (up) => {
          if (mine !== generation || child !== proc) return;
          if (up) set({ status: 'running', message: null, pid: proc.pid ?? null });
          else timer = clock.setTimeout(probe, probeEveryMs);
        },
        () => {
          if (mine === generation && child === proc) timer = clock.setTimeout(probe, probeEveryMs);
        },
      );
    };
    probe();
  }

  function onExit(mine: number, code: number | null): void {
    if (mine !== generation) return;
    child = null;
    clearTimer();
    exited?.();
    if (!wanted) {
      set({ status: 'stopped', message: null, pid: null });
      return;
    }
    const now = clock.now();
    exits = [...exits.filter((at) => now - at < windowMs), now];
    const why = describeExit(code, options.lastOutput?.());
    if (exits.length > maxRestarts) {
      wanted = false;
      set({
        status: 'crashed',
        message: `The runner exited ${exits.length} times in ${Math.round(windowMs / 60_000)} minutes, so it is not restarted again. Last time: ${why}`,
        pid: null,
      });
      return;
    }
    const delay = backoffDelayMs(backoff, exits.length, () => clock.random());
    set({
      status: 'restarting',
      message: `The runner stopped unexpectedly (${why}); starting it again in ${Math.ceil(delay / 1000)} s.`,
      pid: null,
      restarts: current.restarts + 1,
    });
    timer = clock.setTimeout(() => {
      timer = null;
      if (wanted) launch();
    }, delay);
  }

  return {
    state: () => current,
    start() {
      if (wanted && child) return;
      wanted = true;
      if (current.status === 'crashed') exits = [];
      clearTimer();
      if (!child) launch();
    },
    async stop() {
      wanted = false;
      clearTimer();
      const proc = child;
      if (!proc) {
        generation++;
        set({ status: 'stopped', message: null, pid: null });
        return;
      }
      const gone = new Promise<void>((resolve) => (exited = resolve));
      await options.requestStop().catch(() => proc.kill());
      const grace = clock.setTimeout(() => proc.kill(), options.stopGraceMs ?? 60_000);
      await gone;
      clock.clearTimeout(grace);
      exited = null;
    },
  };
}

function describeExit(code: number | null, output: string | undefined): string {
  const how = code === null ? 'it was killed' : `exit code ${code}`;
  const last = output?.trim().split('\n').at(-1)?.slice(0, 300);
  return last ? `${how}: ${last}` : how;
}
