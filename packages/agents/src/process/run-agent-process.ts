import { stat } from 'node:fs/promises';
import { redactSecrets, type AgentEvent, type AgentResult, type AgentRun } from '@coord/runner-core';
import type { Writable } from 'node:stream';
import { execa } from 'execa';
import { buildAgentEnv, pathOf } from './agent-env.js';
import { createEventChannel } from './event-channel.js';
import { killMarkedProcesses, newRunMarker, runMarkerName } from './escaped-processes.js';
import { findExecutable } from './find-executable.js';
import { LineSplitter } from './line-splitter.js';
import { signalGroup, trackGroup, untrackGroup, watchGroup } from './process-group.js';
import { applyEvent, buildResult, initialRunState, type RunEnd } from './run-state.js';
import type { AgentProcessControl, AgentProcessOptions, AgentProcessSpec } from './types.js';

// The one place in this package that starts processes with execa (style-anchors 2.8).

const isWindows = process.platform === 'win32';
const stderrTailChars = 4096;
const maxStderrLine = 2000;
const badLineSnippet = 200;
const transientSpawnErrors = new Set(['EAGAIN', 'EMFILE', 'ENFILE', 'ENOMEM']);

/** Kills a whole process tree: the POSIX process group, or taskkill /T on Windows (no groups). */
function terminateTree(pid: number, signal: NodeJS.Signals): void {
  if (!isWindows) {
    signalGroup(pid, signal);
    return;
  }
  void execa('taskkill', ['/pid', String(pid), '/T', '/F'], {
    reject: false,
    stdin: 'ignore',
    windowsHide: true,
  });
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Starts an agent CLI and turns it into an AgentRun: stdout lines go through the adapter's parser,
 * stderr becomes `stderr` events plus a bounded tail for error messages, and the result settles
 * (never rejects) once the process has exited and its output has drained. `events$` always ends
 * with `process.exited`, even when the program could not be started.
 */
export function runAgentProcess(spec: AgentProcessSpec, options: AgentProcessOptions = {}): AgentRun {
  const termGraceMs = options.termGraceMs ?? 5000;
  const drainMs = options.drainMs ?? 2000;
  const maxBadLines = options.maxConsecutiveBadLines ?? 100;
  const channel = createEventChannel<AgentEvent>(options.earlyEventLimit, (count) => ({
    type: 'warning',
    message: `${count} early agent events were dropped before anyone subscribed`,
  }));
  const state = initialRunState(spec.sessionId ?? null);
  /** Inherited by everything the agent starts, so what leaves its process group is found too. */
  const marker = newRunMarker();

  let stdin: Writable | null = null;
  let pid: number | undefined;
  let exitedFlag = false;
  let finished = false;
  let stopRequested = false;
  let timedOut = false;
  let badOutput: string | null = null;
  let consecutiveBad = 0;
  let stderrTail = '';
  let timeoutTimer: ReturnType<typeof setTimeout> | undefined;

  let resolveResult!: (result: AgentResult) => void;
  const result = new Promise<AgentResult>((resolve) => (resolveResult = resolve));
  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => (resolveExited = resolve));
  let resolveStarted!: () => void;
  const started = new Promise<void>((resolve) => (resolveStarted = resolve));

  const control: AgentProcessControl = {
    get pid() {
      return pid;
    },
    writeLine(line) {
      if (!stdin || stdin.destroyed || stdin.writableEnded || exitedFlag) return false;
      stdin.write(`${line}\n`);
      return true;
    },
    closeStdin() {
      stdin?.end();
    },
    signal(signal) {
      if (pid === undefined || exitedFlag) return;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    },
    emit(event) {
      if (!finished) emit(event);
    },
  };

  const emit = (event: AgentEvent): void => {
    applyEvent(state, event);
    channel.next(event);
    try {
      spec.onEvent?.(event, control);
    } catch (error) {
      channel.next({
        type: 'warning',
        message: `The ${spec.agentId} adapter failed on an event: ${String(error)}`,
      });
    }
  };

  const finish = (end: RunEnd): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timeoutTimer);
    const code = end.kind === 'exited' ? end.code : null;
    const signal = end.kind === 'exited' ? end.signal : null;
    channel.next({ type: 'process.exited', code, signal, sawTurnEnd: state.turnEnd !== null });
    channel.complete();
    resolveExited();
    resolveStarted();
    resolveResult(buildResult(spec.agentId, state, end));
  };

  const waitForExit = async (ms: number): Promise<boolean> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** SIGTERM to the tree, then SIGKILL after termGraceMs (DESIGN section 10). */
  const terminate = async (): Promise<void> => {
    if (pid === undefined || exitedFlag) return;
    terminateTree(pid, 'SIGTERM');
    if (await waitForExit(termGraceMs)) return;
    terminateTree(pid, 'SIGKILL');
    await waitForExit(termGraceMs);
  };

  const onStdoutLine = (line: string, truncated: boolean): void => {
    if (line.trim() === '') return;
    let events: AgentEvent[];
    try {
      events = spec.parseLine(line, state, control);
    } catch (error) {
      consecutiveBad += 1;
      const snippet = redactSecrets(truncate(line, badLineSnippet));
      const why = truncated
        ? 'an over-long line was cut'
        : error instanceof Error
          ? error.message
          : String(error);
      channel.next({
        type: 'warning',
        message: `agent.bad_output: ignored an unparsable line from ${spec.agentId} (${why}): ${snippet}`,
      });
      if (consecutiveBad >= maxBadLines && badOutput === null) {
        badOutput = `The ${spec.agentId} agent printed ${consecutiveBad} unparsable lines in a row; the last one: ${snippet}`;
        void terminate();
      }
      return;
    }
    consecutiveBad = 0;
    for (const event of events) emit(event);
  };

  const onStderrLine = (line: string): void => {
    stderrTail = (stderrTail + line + '\n').slice(-stderrTailChars);
    channel.next({ type: 'stderr', line: redactSecrets(truncate(line, maxStderrLine)) });
  };

  const start = async (): Promise<void> => {
    const env = { ...buildAgentEnv(options.parentEnv ?? process.env, spec.env), [runMarkerName]: marker };
    // Node reports a missing cwd as ENOENT of the program: check it first for an honest message.
    const cwdOk = await stat(spec.cwd).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!cwdOk) {
      finish({
        kind: 'spawn_failed',
        message: `The work directory "${spec.cwd}" does not exist or is not a directory.`,
        retryable: false,
      });
      return;
    }
    const pathExt = Object.entries(env).find(([k]) => k.toUpperCase() === 'PATHEXT')?.[1];
    const file = await findExecutable(spec.file, { path: pathOf(env), ...(pathExt ? { pathExt } : {}) });
    if (!file) {
      finish({ kind: 'not_found', file: spec.file });
      return;
    }
    if (stopRequested) {
      finish({ kind: 'exited', code: null, signal: null, stopRequested, timedOut, badOutput, stderrTail });
      return;
    }

    const child = execa(file, spec.args, {
      cwd: spec.cwd,
      env,
      extendEnv: false,
      stdin: spec.stdin,
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      // No effect on detached subprocesses (see process-group.ts), which is why we track groups.
      cleanup: true,
      detached: !isWindows,
      forceKillAfterDelay: termGraceMs,
      windowsHide: true,
    });
    stdin = child.stdin;
    // A write after the agent died must not crash the runner (EPIPE).
    stdin?.on('error', () => undefined);
    // reject: false: the promise resolves with a failed result instead of rejecting.
    void child.then(() => undefined);

    const out = new LineSplitter(onStdoutLine);
    const err = new LineSplitter((line) => onStderrLine(line), 64 * 1024);
    const streamsDone = Promise.all([
      new Promise<void>((resolve) => child.stdout.once('close', resolve)),
      new Promise<void>((resolve) => child.stderr.once('close', resolve)),
    ]);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stdout.once('end', () => out.end());
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stderr.once('end', () => err.end());

    child.once('error', (error: NodeJS.ErrnoException) => {
      if (pid !== undefined) return; // errors after the start (a failed kill) change nothing
      if (error.code === 'ENOENT') finish({ kind: 'not_found', file: spec.file, resolved: file });
      else
        finish({
          kind: 'spawn_failed',
          message: `Could not start the ${spec.agentId} agent (${file}): ${error.message}`,
          retryable: transientSpawnErrors.has(error.code ?? ''),
        });
    });

    child.once('spawn', () => {
      pid = child.pid;
      if (pid !== undefined && !isWindows) {
        trackGroup(pid);
        watchGroup(pid, termGraceMs, marker);
      }
      resolveStarted();
      for (const line of spec.initialInput ?? []) control.writeLine(line);
      try {
        spec.onSpawn?.(control);
      } catch (error) {
        channel.next({
          type: 'warning',
          message: `The ${spec.agentId} adapter failed to start: ${String(error)}`,
        });
      }
      if (options.timeoutMs !== undefined) {
        timeoutTimer = setTimeout(() => {
          timedOut = true;
          void terminate();
        }, options.timeoutMs);
      }
      if (stopRequested && pid !== undefined) terminateTree(pid, 'SIGKILL');
    });

    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolveExited();
      if (pid !== undefined && !isWindows) {
        // The agent is done: whatever it left running in its group goes too.
        signalGroup(pid, 'SIGKILL');
        untrackGroup(pid);
      }
      // And what it started that left the group (a dev server, a daemon): the result settles
      // only once nothing of this run is left.
      const swept = killMarkedProcesses(marker).catch(() => []);
      // Wait for the output to drain, but not for a descendant that kept a pipe open.
      let drainTimer: ReturnType<typeof setTimeout> | undefined;
      const drained = new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, drainMs)));
      void Promise.all([Promise.race([streamsDone, drained]), swept]).then(() => {
        clearTimeout(drainTimer);
        if (!child.stdout.destroyed) {
          child.stdout.destroy();
          out.end();
        }
        if (!child.stderr.destroyed) {
          child.stderr.destroy();
          err.end();
        }
        finish({ kind: 'exited', code, signal, stopRequested, timedOut, badOutput, stderrTail });
      });
    });
  };

  void start().catch((error: unknown) =>
    finish({
      kind: 'spawn_failed',
      message: `Could not start the ${spec.agentId} agent: ${String(error)}`,
      retryable: false,
    }),
  );

  return {
    events$: channel.events$,
    result,
    respond(requestId, answer) {
      if (finished || !spec.respond) return;
      spec.respond(requestId, answer, control);
    },
    async interrupt(graceMs) {
      stopRequested = true;
      await started;
      if (!finished && !exitedFlag) {
        try {
          if (spec.requestInterrupt) spec.requestInterrupt(control);
          else control.signal('SIGINT');
        } catch {
          // the graceful request is best effort: escalation follows
        }
        if (!(await waitForExit(graceMs))) await terminate();
      }
      await result;
    },
    kill() {
      stopRequested = true;
      if (pid !== undefined && !exitedFlag) terminateTree(pid, 'SIGKILL');
    },
  };
}

export interface ShortCommandResult {
  ok: boolean;
  stdout: string;
  exitCode: number | undefined;
  timedOut: boolean;
}

/** Runs a quick, non-interactive command (`--version`) with the agent environment and a timeout. */
export async function runShortCommand(
  file: string,
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; parentEnv?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ShortCommandResult> {
  const result = await execa(file, args, {
    env: buildAgentEnv(options.parentEnv ?? process.env, options.env),
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: options.timeoutMs ?? 5000,
    forceKillAfterDelay: 1000,
    maxBuffer: 64 * 1024,
    windowsHide: true,
  });
  return {
    ok: !result.failed,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    exitCode: result.exitCode,
    timedOut: result.timedOut,
  };
}
