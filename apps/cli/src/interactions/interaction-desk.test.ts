import type { AnswerOutcome, ResolvedBy, RunnerEvent } from '@coord/runner-core';
import type { InteractionAnswer, InteractionRequest } from '@coord/runner-protocol';
import { describe, expect, it, vi } from 'vitest';
import type { Prompter } from './ask.js';
import { createInteractionDesk } from './interaction-desk.js';

interface Asked {
  kind: 'select' | 'checkbox' | 'input' | 'password';
  message: string;
  choices: string[];
  reply(value: unknown): void;
  fail(error: Error): void;
}

/** A prompter whose prompts the test answers one by one; an abort rejects like inquirer's. */
function scriptedPrompter(): Prompter & { asked: Asked[]; next(): Promise<Asked> } {
  const asked: Asked[] = [];
  let waiter: ((a: Asked) => void) | null = null;
  const ask = <T>(kind: Asked['kind'], message: string, choices: { value: string }[], signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      const entry: Asked = {
        kind,
        message,
        choices: choices.map((c) => c.value),
        reply: (v) => resolve(v as T),
        fail: reject,
      };
      signal.addEventListener('abort', () =>
        reject(Object.assign(new Error('aborted'), { name: 'AbortPromptError' })),
      );
      asked.push(entry);
      waiter?.(entry);
      waiter = null;
    });
  return {
    asked,
    next: () =>
      new Promise<Asked>((resolve) => {
        const pending = asked.find((a) => !(a as { taken?: boolean }).taken);
        const take = (a: Asked) => {
          (a as { taken?: boolean }).taken = true;
          resolve(a);
        };
        if (pending) take(pending);
        else waiter = take;
      }),
    select: (message, choices, signal) => ask(`select`, message, choices, signal),
    checkbox: (message, choices, signal) => ask('checkbox', message, choices, signal),
    input: (message, signal) => ask('input', message, [], signal),
    password: (message, signal) => ask('password', message, [], signal),
  };
}

const at = 0;
const claimed: RunnerEvent = {
  type: 'job.claimed',
  at,
  jobId: 'job_1',
  attemptId: 'att_1',
  attemptNumber: 1,
  workspaceId: 'w',
  title: 'Clean the build',
  agent: 'demo',
};
const requested = (interactionId: string, request: InteractionRequest): RunnerEvent => ({
  type: 'interaction.requested',
  at,
  jobId: 'job_1',
  attemptId: 'att_1',
  interactionId,
  request,
});
const resolved = (interactionId: string, by: ResolvedBy): RunnerEvent => ({
  type: 'interaction.resolved',
  at,
  jobId: 'job_1',
  attemptId: 'att_1',
  interactionId,
  answer: by === 'withdrawn' ? { kind: 'withdrawn' } : { kind: 'approval', decision: 'allow_once' },
  by,
});
const approval: InteractionRequest = {
  kind: 'approval',
  toolName: 'Bash',
  summary: 'rm -rf build',
  input: { command: 'rm -rf build' },
};

function setup() {
  const prompter = scriptedPrompter();
  const written: string[] = [];
  const answers: [string, InteractionAnswer][] = [];
  const onInterrupt = vi.fn();
  const desk = createInteractionDesk({
    answer: async (id, answer): Promise<AnswerOutcome> => {
      answers.push([id, answer]);
      return { won: true, answer, by: 'runner' };
    },
    prompter,
    write: (text) => written.push(text),
    color: false,
    onInterrupt,
  });
  desk.onEvent(claimed);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { prompter, written, answers, desk, onInterrupt, settle };
}

describe('the interaction desk', () => {
  it('asks for an approval with a banner, sends the answer, and holds output until it is given', async () => {
    const { prompter, written, answers, desk, settle } = setup();
    desk.onEvent(requested('int_1', approval));
    const prompt = await prompter.next();
    expect(prompt.message).toBe('Allow Bash: rm -rf build?');
    expect(prompt.choices).toEqual(['allow_once', 'allow_session', 'deny', 'deny_note']);
    expect(written.join('')).toContain('⚠ Approval needed — job "Clean the build"');
    expect(written.join('')).toContain('\u0007');

    desk.print('output of another job');
    expect(written.join('')).not.toContain('output of another job');
    prompt.reply('allow_session');
    await settle();
    expect(answers).toEqual([['int_1', { kind: 'approval', decision: 'allow_session' }]]);
    expect(written.join('')).toContain('output of another job');
  });

  it('a deny with a note carries the note to the agent', async () => {
    const { prompter, answers, desk, settle } = setup();
    desk.onEvent(requested('int_1', approval));
    (await prompter.next()).reply('deny_note');
    const why = await prompter.next();
    expect(why.kind).toBe('input');
    why.reply('  use the clean script instead ');
    await settle();
    expect(answers[0]![1]).toEqual({
      kind: 'approval',
      decision: 'deny',
      message: 'use the clean script instead',
    });
  });

  it('an answer from the web takes the prompt away, says so, and the next waiting one is asked', async () => {
    const { prompter, written, answers, desk, settle } = setup();
    desk.onEvent(requested('int_1', approval));
    desk.onEvent(requested('int_2', { ...approval, summary: 'git push' }));
    await prompter.next();
    expect(desk.covers(resolved('int_1', 'web'))).toBe(true);
    // One still waiting its turn is not on screen: its log line is the only word of it.
    expect(desk.covers(resolved('int_2', 'web'))).toBe(false);
    // Its attempt's wait for an answer is what the prompt says; another attempt's is not.
    const waits = (attemptId: string): RunnerEvent => ({
      type: 'job.state',
      at,
      jobId: 'job_1',
      attemptId,
      state: 'awaiting_input',
    });
    expect(desk.covers(waits('att_1'))).toBe(true);
    expect(desk.covers(waits('att_2'))).toBe(false);
    desk.onEvent(resolved('int_1', 'web'));
    const second = await prompter.next();
    expect(second.message).toBe('Allow Bash: git push?');
    expect(written.join('')).toContain('✓ answered on the web');
    second.reply('deny');
    await settle();
    expect(answers).toEqual([['int_2', { kind: 'approval', decision: 'deny' }]]);
  });

  it('an answer from another terminal (the control API, resolved as the runner) takes the prompt away too', async () => {
    const { prompter, written, answers, desk, settle } = setup();
    desk.onEvent(requested('int_1', approval));
    await prompter.next();
    desk.print('output while the prompt was up');
    desk.onEvent(resolved('int_1', 'runner'));
    await settle();
    const text = written.join('');
    expect(text).toContain('✓ answered from another terminal');
    // What was held while the prompt was up is printed now, not when someone presses a key.
    expect(text).toContain('output while the prompt was up');
    expect(answers).toEqual([]);
  });

  it('a request the agent withdrew takes the prompt away, saying no answer is needed', async () => {
    const { prompter, written, answers, desk, settle } = setup();
    desk.onEvent(requested('int_1', approval));
    await prompter.next();
    desk.onEvent(resolved('int_1', 'withdrawn'));
    await settle();
    expect(written.join('')).toContain('✓ withdrawn: the agent no longer needs an answer');
    expect(written.join('')).not.toContain('answered');
    expect(answers).toEqual([]);
  });

  it("its own answer's resolution, arriving while the answer is sent, does not take the prompt away", async () => {
    const prompter = scriptedPrompter();
    const written: string[] = [];
    const desk = createInteractionDesk({
      // The runner resolves the interaction (and says so) before the answer call returns.
      answer: async (id, answer): Promise<AnswerOutcome> => {
        desk.onEvent(resolved(id, 'runner'));
        return { won: true, answer, by: 'runner' };
      },
      prompter,
      write: (text) => written.push(text),
      color: false,
      onInterrupt: () => undefined,
    });
    desk.onEvent(claimed);
    desk.onEvent(requested('int_1', approval));
    (await prompter.next()).reply('allow_once');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(written.join('')).not.toContain('answered from another terminal');
    expect(written.join('')).not.toContain('already answered');
  });

  it('a request answered on the web before its turn is never asked', async () => {
    const { prompter, desk, settle } = setup();
    desk.onEvent(requested('int_1', approval));
    desk.onEvent(requested('int_2', { ...approval, summary: 'git push' }));
    desk.onEvent(resolved('int_2', 'web'));
    (await prompter.next()).reply('allow_once');
    await settle();
    expect(prompter.asked).toHaveLength(1);
  });

  it('a question with options and free text collects every answer by question id', async () => {
    const { prompter, answers, desk, settle } = setup();
    desk.onEvent(
      requested('int_q', {
        kind: 'question',
        questions: [
          {
            id: 'db',
            text: 'Which database?',
            options: [{ label: 'Postgres' }, { label: 'SQLite' }],
            multiSelect: false,
            allowFreeText: true,
          },
          {
            id: 'langs',
            text: 'Which languages?',
            options: [{ label: 'TS' }, { label: 'Go' }],
            multiSelect: true,
            allowFreeText: false,
          },
          { id: 'name', text: 'Project name?', options: [], multiSelect: false, allowFreeText: true },
        ],
      }),
    );
    const db = await prompter.next();
    expect(db.choices).toHaveLength(3); // two options and "something else"
    db.reply(db.choices[2]);
    (await prompter.next()).reply('MySQL');
    const langs = await prompter.next();
    expect(langs.kind).toBe('checkbox');
    langs.reply(['TS', 'Go']);
    (await prompter.next()).reply('coord');
    await settle();
    expect(answers[0]![1]).toEqual({
      kind: 'question',
      answers: { db: ['MySQL'], langs: ['TS', 'Go'], name: ['coord'] },
    });
  });

  it('a secret question is typed hidden, the ordinary one beside it is not', async () => {
    const { prompter, answers, desk, settle } = setup();
    desk.onEvent(
      requested('int_s', {
        kind: 'question',
        questions: [
          { id: 'user', text: 'User name?', options: [], multiSelect: false, allowFreeText: true },
          { id: 'key', text: 'API key?', options: [], multiSelect: false, allowFreeText: true, secret: true },
        ],
      }),
    );
    const user = await prompter.next();
    expect(user.kind).toBe('input');
    user.reply('ada');
    const key = await prompter.next();
    expect(key.kind).toBe('password');
    key.reply('sk-hidden-value-123');
    await settle();
    expect(answers[0]![1]).toEqual({
      kind: 'question',
      answers: { user: ['ada'], key: ['sk-hidden-value-123'] },
    });
  });

  it('Ctrl-C inside a prompt stops the runner gracefully and asks nothing more', async () => {
    const { prompter, answers, desk, onInterrupt, settle } = setup();
    desk.onEvent(requested('int_1', approval));
    desk.onEvent(requested('int_2', approval));
    (await prompter.next()).fail(Object.assign(new Error('User force closed'), { name: 'ExitPromptError' }));
    await settle();
    expect(onInterrupt).toHaveBeenCalledOnce();
    expect(prompter.asked).toHaveLength(1);
    expect(answers).toEqual([]);
  });

  it('neutralises control characters in what it shows', async () => {
    const { prompter, written, desk } = setup();
    desk.onEvent({ ...claimed, attemptId: 'att_2', title: 'x\u001b]0;pwned\u0007y' } as RunnerEvent);
    desk.onEvent({
      ...requested('int_1', { ...approval, summary: 'ls\u001b[2K' }),
      attemptId: 'att_2',
    } as RunnerEvent);
    const prompt = await prompter.next();
    expect(prompt.message).toBe('Allow Bash: ls?');
    // eslint-disable-next-line no-control-regex
    expect(written.join('').replace('\u0007', '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });
});
