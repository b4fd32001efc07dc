/**
 * The demo agent: a real child process that follows a scripted plan, no AI. It reads its task as
 * one JSON line on stdin, prints one AgentEvent JSON per line on stdout, and stops gracefully
 * (after the current step) on SIGINT or an `{"type":"interrupt"}` stdin line. Built by tsup as
 * its own entry (dist/demo-agent-process.js) and started with `process.execPath`.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { AgentEvent } from '@coord/runner-core';
import type { InteractionAnswer } from '@coord/runner-protocol';
import type { Asker } from './demo-asking.js';
import { runDemoPlan } from './demo-steps.js';
import type { DemoInput, DemoTask } from './demo-task.js';

const emit = (event: AgentEvent): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

let started = false;
let interrupted = false;
/** Questions and approvals waiting for a person's answer, by request id. */
const waiting = new Map<string, (answer: InteractionAnswer | null) => void>();
let asked = 0;

function waitForAnswer(request: AgentEvent & { requestId: string }): Promise<InteractionAnswer | null> {
  if (interrupted) return Promise.resolve(null);
  return new Promise((resolve) => {
    waiting.set(request.requestId, resolve);
    emit(request);
  });
}

const asker: Asker = {
  approve: (request) =>
    waitForAnswer({ type: 'approval.requested', requestId: `ask-${++asked}`, ...request }),
  question: (request) =>
    waitForAnswer({ type: 'question.requested', requestId: `ask-${++asked}`, ...request }),
};

function requestStop(): void {
  if (interrupted) return;
  interrupted = true;
  // Nothing waits for an answer past a stop.
  for (const resolve of waiting.values()) resolve(null);
  waiting.clear();
  emit({
    type: 'message.completed',
    role: 'assistant',
    text: 'Stop requested: finishing the current step, then stopping.',
  });
}

async function run(task: DemoTask): Promise<void> {
  const sessionId = task.resumeSessionId ?? randomUUID();
  emit({
    type: 'session.started',
    sessionId,
    model: 'demo',
    resumed: task.resumeSessionId !== null,
    demo: true,
  });
  emit({
    type: 'message.completed',
    role: 'assistant',
    text: `I am the demo agent, a scripted demo with no AI: I follow the ${task.plan.length}-step plan given with "${task.title}" and ignore the instructions' meaning.`,
  });
  const status = await runDemoPlan(
    {
      workDir: process.cwd(),
      protectedPaths: task.protectedPaths ?? [],
      emit,
      isInterrupted: () => interrupted,
      asker,
    },
    task.plan,
  );
  process.exitCode = status === 'failed' ? 1 : 0;
  // Let go of stdin so the process exits on its own once stdout has drained.
  input.close();
  process.stdin.destroy();
}

function fail(message: string): void {
  emit({ type: 'turn.completed', status: 'failed', error: message });
  process.exitCode = 2;
  input.close();
  process.stdin.destroy();
}

process.on('SIGINT', requestStop);

const input = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
input.on('line', (line) => {
  let message: DemoInput;
  try {
    message = JSON.parse(line) as DemoInput;
  } catch {
    process.stderr.write(`demo agent: ignored a stdin line that is not JSON\n`);
    return;
  }
  if (message.type === 'interrupt') requestStop();
  else if (message.type === 'answer') {
    waiting.get(message.requestId)?.(message.answer);
    waiting.delete(message.requestId);
  } else if (message.type === 'task' && !started) {
    started = true;
    if (!Array.isArray(message.plan)) fail('the task has no plan');
    else void run(message).catch((error: unknown) => fail(`demo agent error: ${String(error)}`));
  }
});
input.on('close', () => {
  if (!started) fail('no task was received on stdin');
});
