import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { CLI_BIN } from '../cli.js';

/** What a runner process printed (NDJSON, `--json`) that the chaos run keeps. */
export interface RunnerRecord {
  runner: string;
  /** Which start of this runner (1 is the first, each restart after a kill adds one). */
  generation: number;
  type: 'job.claimed' | 'job.finished' | 'runner.error';
  jobId?: string;
  attemptId?: string;
  outcome?: string;
  message?: string;
}

export interface ChaosRunner {
  readonly name: string;
  readonly stateDir: string;
  pid(): number | undefined;
  alive(): boolean;
  /** Jobs this process claimed and has not finished (what a kill now cuts off). */
  busy(): number;
  /** Of those, how many are in this state of the attempt machine now (`preparing`, `publishing`…). */
  inState(state: string): number;
  start(): void;
  /** `kill -9`, then waits until the process is gone. */
  kill(): Promise<void>;
  /**
   * SIGTERM (finish or hand back current work), escalating to SIGKILL after `graceMs`: how it
   * exited, or null when it was not running.
   */
  stop(graceMs: number): Promise<{ exitCode: number | undefined; forced: boolean } | null>;
}

/**
 * The runners of a chaos run: each a real `coord-runner start` process on its own state dir, so a
 * restart after a kill is the same runner (same machine id, same spool) coming back. An exit the
 * run did not cause is recorded and the runner started again, as a service manager would.
 */
export function createFleet(options: {
  count: number;
  stateDir: (name: string) => string;
  server: () => { url: string; tokenFile: string };
  env: Record<string, string>;
  capacity: number;
  records: RunnerRecord[];
  onUnexpectedExit: (name: string, detail: string) => void;
}): ChaosRunner[] {
  return Array.from({ length: options.count }, (_, i) => {
    const name = `chaos-${i}`;
    const stateDir = options.stateDir(name);
    let child: ResultPromise | null = null;
    let generation = 0;
    /** Attempt id to its last `job.state`, for the jobs this process has running. */
    let claimed = new Map<string, string>();
    let ending = false;

    const start = () => {
      if (child) throw new Error(`${name} is already running`);
      generation += 1;
      const thisGeneration = generation;
      const { url, tokenFile } = options.server();
      const proc = execa(
        process.execPath,
        [
          CLI_BIN,
          'start',
          '--server',
          url,
          '--token-file',
          tokenFile,
          '--state-dir',
          stateDir,
          '--name',
          name,
          '--capacity',
          String(options.capacity),
          '--json',
          '--no-interactive',
        ],
        { env: options.env, extendEnv: false, reject: false, buffer: false, stdin: 'ignore' },
      ) as unknown as ResultPromise;
      child = proc;
      ending = false;
      claimed = new Map();
      const mine = claimed;
      let stderr = '';
      proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        const event = parseLine(line);
        if (!event) return;
        const base = { runner: name, generation: thisGeneration };
        if (event.type === 'job.claimed' && event.attemptId) {
          mine.set(event.attemptId, 'claimed');
          options.records.push({ ...base, type: event.type, jobId: event.jobId, attemptId: event.attemptId });
        } else if (event.type === 'job.state' && event.attemptId && mine.has(event.attemptId)) {
          mine.set(event.attemptId, event.state ?? '');
        } else if (event.type === 'job.finished' && event.attemptId) {
          mine.delete(event.attemptId);
          options.records.push({
            ...base,
            type: event.type,
            jobId: event.jobId,
            attemptId: event.attemptId,
            outcome: event.outcome,
          });
        } else if (event.type === 'runner.error') {
          options.records.push({ ...base, type: event.type, message: event.error?.message ?? '' });
        }
      });
      void proc.then((result) => {
        if (child !== proc) return;
        child = null;
        if (ending) return;
        options.onUnexpectedExit(
          name,
          `exit ${String(result.exitCode ?? result.signal)}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
        );
        setTimeout(() => {
          if (!child && !ending) start();
        }, 500);
      });
    };

    const end = async (signal: NodeJS.Signals, graceMs: number) => {
      const proc = child;
      if (!proc) return null;
      ending = true;
      proc.kill(signal);
      let forced = false;
      const hard = setTimeout(() => {
        forced = true;
        proc.kill('SIGKILL');
      }, graceMs);
      const result = await proc;
      clearTimeout(hard);
      if (child === proc) child = null;
      return { exitCode: result.exitCode, forced };
    };

    return {
      name,
      stateDir,
      pid: () => child?.pid,
      alive: () => child !== null,
      busy: () => (child ? claimed.size : 0),
      inState: (state) => (child ? [...claimed.values()].filter((s) => s === state).length : 0),
      start,
      kill: async () => void (await end('SIGKILL', 0)),
      stop: (graceMs) => end('SIGTERM', graceMs),
    };
  });
}

interface PrintedEvent {
  type: string;
  jobId?: string;
  attemptId?: string;
  outcome?: string;
  state?: string;
  error?: { message?: string };
}

function parseLine(line: string): PrintedEvent | null {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && 'type' in value ? (value as PrintedEvent) : null;
  } catch {
    return null;
  }
}
