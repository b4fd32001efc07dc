import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentEvent } from '@coord/runner-core';
import type { DemoStep } from '@coord/runner-protocol';
import { createApprovals, fillAnswers, type Asker, type Verdict } from './demo-asking.js';
import { summarizeDemo, type DemoRecord } from './demo-summary.js';
import { PathRefusedError, prepareWritePath, refuseProtected } from './safe-path.js';

export interface DemoContext {
  workDir: string;
  /** The runner's private state: read and write steps refuse it (AgentRunInput.protectedPaths). */
  protectedPaths: readonly string[];
  emit: (event: AgentEvent) => void;
  /** Checked between steps: a stop request lets the current step finish. */
  isInterrupted: () => boolean;
  /** Questions and approvals go to a person through the runner. */
  asker: Asker;
}

/** `stop`: a person denied a step and asked the agent to stop. */
type StepOutcome = { ok: true; stop?: string } | { ok: false; error: string };

type Decide = (
  kind: 'write' | 'run',
  toolCallId: string,
  summary: string,
  input: unknown,
) => Promise<Verdict>;

/** A denied step is not done: the tool call ends `denied` with the person's note, if any. */
function denied(
  ctx: DemoContext,
  id: string,
  what: string,
  verdict: Extract<Verdict, { allowed: false }>,
): StepOutcome {
  const note = verdict.note ? `: ${verdict.note}` : '';
  ctx.emit({ type: 'tool.completed', toolCallId: id, status: 'denied', output: `${what} was denied${note}` });
  return verdict.stop ? { ok: true, stop: `${what} was denied${note}` } : { ok: true };
}

/** What an approval shows of a file write: the path and the start of the new content. */
const shownContentChars = 4000;

const outputTailChars = 4096;

function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w./=:@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

async function writeStep(
  ctx: DemoContext,
  id: string,
  step: Extract<DemoStep, { type: 'write' }>,
  record: DemoRecord,
  content: string,
  decide: Decide,
): Promise<StepOutcome> {
  const bytes = Buffer.byteLength(content);
  ctx.emit({
    type: 'tool.started',
    toolCallId: id,
    name: 'write',
    kind: 'edit',
    input: { path: step.path, bytes },
    title: `Write ${step.path}`,
  });
  if (step.ask) {
    const verdict = await decide('write', id, `Write ${step.path} (${bytes} bytes)`, {
      path: step.path,
      content: content.slice(0, shownContentChars),
    });
    if (!verdict.allowed) return denied(ctx, id, `Writing ${step.path}`, verdict);
  }
  try {
    await refuseProtected(ctx.workDir, step.path, ctx.protectedPaths, 'write');
    await writeFile(await prepareWritePath(ctx.workDir, step.path), content);
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

async function runStep(
  ctx: DemoContext,
  id: string,
  step: Extract<DemoStep, { type: 'run' }>,
  record: DemoRecord,
  decide: Decide,
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
  if (step.ask) {
    const verdict = await decide('run', id, shown, { command: step.command, cwd: ctx.workDir });
    if (!verdict.allowed) return denied(ctx, id, `Running \`${shown}\``, verdict);
  }
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

/** Asks a person a question and keeps the answer for later steps' `{{answer:<id>}}`. */
async function askStep(
  ctx: DemoContext,
  step: Extract<DemoStep, { type: 'ask' }>,
  answers: Map<string, string>,
): Promise<StepOutcome> {
  const answer = await ctx.asker.question({
    questions: [
      {
        id: step.id,
        text: step.question,
        options: (step.options ?? []).map((label) => ({ label })),
        multiSelect: step.multiSelect ?? false,
        allowFreeText: true,
        ...(step.secret ? { secret: true } : {}),
      },
    ],
  });
  if (answer === null) return { ok: true, stop: 'a stop was requested while a question waited' };
  const given = answer.kind === 'question' ? (answer.answers[step.id] ?? []).join(', ') : '';
  answers.set(step.id, given);
  ctx.emit({
    type: 'message.completed',
    role: 'assistant',
    text: !given
      ? 'No answer came; going on without one.'
      : step.secret
        ? 'Thanks: I have the secret.'
        : `You answered: ${given}`,
  });
  return { ok: true };
}

/** Follows the plan step by step and ends with exactly one `turn.completed`. */
export async function runDemoPlan(
  ctx: DemoContext,
  plan: readonly DemoStep[],
): Promise<'completed' | 'interrupted' | 'failed'> {
  const record: DemoRecord = { said: 0, wrote: [], ran: [] };
  const answers = new Map<string, string>();
  const approvals = createApprovals(ctx.asker);
  const decide: Decide = (kind, toolCallId, summary, input) =>
    approvals.decide(kind, kind === 'write' ? 'edit' : 'shell', toolCallId, summary, input);
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
      ctx.emit({ type: 'message.completed', role: 'assistant', text: fillAnswers(step.text, answers) });
    } else if (step.type === 'write') {
      outcome = await writeStep(ctx, id, step, record, fillAnswers(step.content, answers), decide);
    } else if (step.type === 'read') {
      outcome = await readStep(ctx, id, step);
    } else if (step.type === 'ask') {
      outcome = await askStep(ctx, step, answers);
    } else {
      outcome = await runStep(ctx, id, step, record, decide);
    }
    if (outcome.ok && outcome.stop) {
      endTurn({
        type: 'turn.completed',
        status: 'interrupted',
        finalText: `Stopped at step ${index + 1} of ${plan.length}: ${outcome.stop}.`,
      });
      return 'interrupted';
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
