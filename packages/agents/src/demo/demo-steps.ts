import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentEvent } from '@coord/runner-core';
import type { DemoStep } from '@coord/runner-protocol';
import { summarizeDemo, type DemoRecord } from './demo-summary.js';
import { PathRefusedError, prepareWritePath, refuseProtected } from './safe-path.js';

export interface DemoContext {
  workDir: string;
  /** The runner's private state: read and write steps refuse it (AgentRunInput.protectedPaths). */
  protectedPaths: readonly string[];
  emit: (event: AgentEvent) => void;
  /** Checked between steps: a stop request lets the current step finish. */
  isInterrupted: () => boolean;
}

type StepOutcome = { ok: true } | { ok: false; error: string };

const outputTailChars = 4096;

function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w./=:@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

async function writeStep(
  ctx: DemoContext,
  id: string,
  step: Extract<DemoStep, { type: 'write' }>,
  record: DemoRecord,
): Promise<StepOutcome> {
  ctx.emit({
    type: 'tool.started',
    toolCallId: id,
    name: 'write',
    kind: 'edit',
    input: { path: step.path, bytes: Buffer.byteLength(step.content) },
    title: `Write ${step.path}`,
  });
  try {
    await refuseProtected(ctx.workDir, step.path, ctx.protectedPaths, 'write');
    await writeFile(await prepareWritePath(ctx.workDir, step.path), step.content);
  } catch (error) {
    const message =
      error instanceof PathRefusedError
        ? error.message
        : `could not write "${step.path}": ${(error as Error).message}`;
    ctx.emit({ type: 'tool.completed', toolCallId: id, status: 'error', output: message });
    return { ok: false, error: message };
  }
  record.wrote.push(step.path);
  ctx.emit({ type: 'tool.completed', toolCallId: id, status: 'ok', output: `Wrote ${step.path}` });
  return { ok: true };
}

/** Output of a read step is cut here: it is shown, not processed. */
const readLimitChars = 64 * 1024;

async function readStep(
  ctx: DemoContext,
  id: string,
  step: Extract<DemoStep, { type: 'read' }>,
): Promise<StepOutcome> {
  ctx.emit({
    type: 'tool.started',
    toolCallId: id,
    name: 'read',
    kind: 'read',
    input: { path: step.path },
    title: `Read ${step.path}`,
  });
  let text: string;
  try {
    await refuseProtected(ctx.workDir, step.path, ctx.protectedPaths, 'read');
    text = await readFile(path.resolve(ctx.workDir, step.path), 'utf8');
  } catch (error) {
    const message =
      error instanceof PathRefusedError
        ? error.message
        : `could not read "${step.path}": ${(error as Error).message}`;
    ctx.emit({ type: 'tool.completed', toolCallId: id, status: 'error', output: message });
    return { ok: false, error: message };
  }
  ctx.emit({ type: 'tool.completed', toolCallId: id, status: 'ok', output: text.slice(0, readLimitChars) });
  return { ok: true };
}

function runStep(
  ctx: DemoContext,
  id: string,
  step: Extract<DemoStep, { type: 'run' }>,
  record: DemoRecord,
): Promise<StepOutcome> {
  const [program, ...args] = step.command;
  const shown = showCommand(step.command);
  ctx.emit({
    type: 'tool.started',
    toolCallId: id,
    name: 'run',
    kind: 'shell',
    input: { command: step.command },
    title: `Run ${shown}`,
  });
  // A command can read anything its user can: the protected paths cannot be policed here. The
  // runner's redaction of every event and the pre-push secret scan are the defence for `run`.
  return new Promise((resolve) => {
    let tail = '';
    // No shell: argv goes to the program as is. SIGINT meant for the demo does not reach it.
    const child = spawn(program ?? '', args, {
      cwd: ctx.workDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-outputTailChars);
        ctx.emit({ type: 'tool.output', toolCallId: id, stream, chunk });
      });
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ENOENT'
          ? `command not found: ${program ?? ''}`
          : `could not run \`${shown}\`: ${error.message}`;
      ctx.emit({ type: 'tool.completed', toolCallId: id, status: 'error', output: message });
      resolve({ ok: false, error: message });
    });
    child.once('close', (code, signal) => {
      record.ran.push({ command: shown, exitCode: code });
      const ok = code === 0;
      ctx.emit({
        type: 'tool.completed',
        toolCallId: id,
        status: ok ? 'ok' : 'error',
        output: tail,
        ...(code === null ? {} : { exitCode: code }),
      });
      if (ok) resolve({ ok: true });
      else
        resolve({
          ok: false,
          error: `command \`${shown}\` ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`,
        });
    });
  });
}

/** Follows the plan step by step and ends with exactly one `turn.completed`. */
export async function runDemoPlan(
  ctx: DemoContext,
  plan: readonly DemoStep[],
): Promise<'completed' | 'interrupted' | 'failed'> {
  const record: DemoRecord = { said: 0, wrote: [], ran: [] };
  // No model, no tokens: the zeros still go out so that consumers see the usual shape.
  const endTurn = (event: Extract<AgentEvent, { type: 'turn.completed' }>): void => {
    ctx.emit({ type: 'usage', inputTokens: 0, outputTokens: 0, costUsd: 0, cumulative: true });
    ctx.emit(event);
  };
  for (const [index, step] of plan.entries()) {
    if (ctx.isInterrupted()) {
      endTurn({
        type: 'turn.completed',
        status: 'interrupted',
        finalText: `Stopped on request after ${index} of ${plan.length} steps.`,
      });
      return 'interrupted';
    }
    const id = `step-${index + 1}`;
    let outcome: StepOutcome = { ok: true };
    if (step.type === 'say') {
      record.said += 1;
      ctx.emit({ type: 'message.completed', role: 'assistant', text: step.text });
    } else if (step.type === 'write') {
      outcome = await writeStep(ctx, id, step, record);
    } else if (step.type === 'read') {
      outcome = await readStep(ctx, id, step);
    } else {
      outcome = await runStep(ctx, id, step, record);
    }
    if (!outcome.ok) {
      endTurn({
        type: 'turn.completed',
        status: 'failed',
        error: `step ${index + 1} failed: ${outcome.error}`,
      });
      return 'failed';
    }
  }
  endTurn({ type: 'turn.completed', status: 'completed', finalText: summarizeDemo(record, plan.length) });
  return 'completed';
}
