import type { InteractionAnswer, InteractionView } from '@coord/runner-protocol';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { InteractionCard } from '../src/index.js';

const base = {
  id: 'int_1',
  attemptId: 'att_1',
  jobId: 'job_1',
  createdAt: '2026-01-01T00:00:00.000Z',
  answer: null,
  answeredBy: null,
  answeredAt: null,
};

const approval: InteractionView = {
  ...base,
  request: {
    kind: 'approval',
    toolName: 'run',
    summary: 'npm install left-pad',
    input: { command: ['npm', 'install', 'left-pad'] },
    reason: 'commands ask in this permission mode',
    workDir: '/work/job-1',
  },
};

const question: InteractionView = {
  ...base,
  request: {
    kind: 'question',
    questions: [
      {
        id: 'color',
        text: 'Which colour?',
        options: [{ label: 'Red' }, { label: 'Blue', description: 'the calm one' }],
        multiSelect: false,
        allowFreeText: true,
      },
      {
        id: 'tags',
        text: 'Which tags?',
        options: [{ label: 'a' }, { label: 'b' }],
        multiSelect: true,
        allowFreeText: false,
      },
    ],
  },
};

function setup(interaction: InteractionView, fail?: string) {
  const sent: InteractionAnswer[] = [];
  const onAnswer = async (a: InteractionAnswer) => {
    if (fail) throw new Error(fail);
    sent.push(a);
  };
  const view = render(<InteractionCard interaction={interaction} onAnswer={onAnswer} />);
  return { sent, view };
}

describe('InteractionCard: approvals', () => {
  it('shows the tool, its input, the working directory and why the policy asked', () => {
    setup(approval);
    const card = screen.getByRole('region', { name: 'Approval needed: run' });
    expect(card.textContent).toContain('npm install left-pad');
    expect(card.querySelector('.cr-command')!.textContent).toBe('$ npm install left-pad');
    expect(card.textContent).toContain('Working directory/work/job-1');
    expect(card.textContent).toContain('Why it askscommands ask in this permission mode');
  });

  it.each([
    ['Approve once', { kind: 'approval', decision: 'allow_once' }],
    ['Approve for this session', { kind: 'approval', decision: 'allow_session' }],
    ['Deny', { kind: 'approval', decision: 'deny', message: 'use pnpm' }],
    ['Deny and stop', { kind: 'approval', decision: 'deny', stop: true, message: 'use pnpm' }],
  ])('%s sends that answer', async (button, expected) => {
    const { sent } = setup(approval);
    fireEvent.change(screen.getByPlaceholderText('Why not, or what to do instead'), {
      target: { value: '  use pnpm ' },
    });
    fireEvent.click(screen.getByRole('button', { name: button }));
    await waitFor(() => expect(sent).toHaveLength(1));
    // A note goes with a denial only.
    expect(sent[0]).toEqual(expected);
  });

  it('an edit approval shows a diff', () => {
    setup({
      ...approval,
      request: {
        kind: 'approval',
        toolName: 'write',
        summary: 'Write a.txt',
        input: { path: 'a.txt', content: 'hello\nworld' },
      },
    });
    expect([...document.querySelectorAll('.cr-diff-add')].map((l) => l.textContent)).toEqual([
      '+ hello\n',
      '+ world\n',
    ]);
  });

  it('a refused answer says why and the buttons work again', async () => {
    setup(approval, 'The server is not reachable');
    fireEvent.click(screen.getByRole('button', { name: 'Approve once' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The server is not reachable');
    expect(screen.getByRole('button', { name: 'Approve once' }).hasAttribute('disabled')).toBe(false);
  });

  it('"resolved elsewhere" the moment the runner answers, with nothing left to press', () => {
    const { view } = setup(approval);
    view.rerender(
      <InteractionCard
        interaction={{
          ...approval,
          answer: { kind: 'approval', decision: 'deny', message: 'no' },
          answeredBy: 'runner',
          answeredAt: base.createdAt,
        }}
        onAnswer={async () => {}}
      />,
    );
    expect(screen.getByText('Resolved elsewhere (from the runner)')).toBeTruthy();
    expect(screen.getByText('Denied: “no”')).toBeTruthy();
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });

  it('a timeout shows as denied', () => {
    setup({ ...approval, answer: { kind: 'timeout' }, answeredBy: 'runner', answeredAt: base.createdAt });
    expect(screen.getByText('Nobody answered in time: it was denied.')).toBeTruthy();
    expect(screen.getByText('Closed')).toBeTruthy();
  });

  it('a request the agent withdrew says so, not that anyone denied it', () => {
    setup({ ...approval, answer: { kind: 'withdrawn' }, answeredBy: 'runner', answeredAt: base.createdAt });
    expect(screen.getByText('Withdrawn: the agent no longer needs an answer.')).toBeTruthy();
    expect(screen.getByText('Closed')).toBeTruthy();
    expect(screen.queryByText(/denied|elsewhere/i)).toBeNull();
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });
});

describe('InteractionCard: questions', () => {
  it('sends the picked options and free text, per question', async () => {
    const { sent } = setup(question);
    expect(screen.getByText('Which colour?')).toBeTruthy();
    expect(screen.getByText('— the calm one')).toBeTruthy();
    fireEvent.click(screen.getByRole('radio', { name: 'Red' }));
    fireEvent.click(screen.getByRole('radio', { name: /Blue/ }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Or your own answer' }), {
      target: { value: 'teal' },
    });
    fireEvent.click(screen.getByRole('checkbox', { name: 'a' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'b' }));
    // Only the first question takes free text.
    expect(screen.getAllByRole('textbox')).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'Send answer' }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual({ kind: 'question', answers: { color: ['Blue', 'teal'], tags: ['a', 'b'] } });
  });

  it('says which question is unanswered instead of sending', () => {
    const { sent } = setup(question);
    fireEvent.click(screen.getByRole('radio', { name: 'Red' }));
    fireEvent.click(screen.getByRole('button', { name: 'Send answer' }));
    expect(screen.getByRole('alert').textContent).toBe('Answer “Which tags?” first.');
    expect(sent).toHaveLength(0);
  });

  it('a free-text-only question', async () => {
    const { sent } = setup({
      ...question,
      request: {
        kind: 'question',
        questions: [{ id: 'name', text: 'Name?', options: [], multiSelect: false, allowFreeText: false }],
      },
    });
    fireEvent.change(screen.getByRole('textbox', { name: 'Your answer' }), { target: { value: 'Ada' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send answer' }));
    await waitFor(() => expect(sent).toEqual([{ kind: 'question', answers: { name: ['Ada'] } }]));
  });

  it('a secret question takes its answer in a hidden field the browser does not remember', async () => {
    const {
      sent,
      view: { container },
    } = setup({
      ...question,
      request: {
        kind: 'question',
        questions: [
          { id: 'key', text: 'API key?', options: [], multiSelect: false, allowFreeText: true, secret: true },
        ],
      },
    });
    expect(screen.queryByRole('textbox')).toBeNull();
    const field = container.querySelector<HTMLInputElement>('input[type="password"]')!;
    expect(field.autocomplete).toBe('new-password');
    expect(screen.getByText(/secret: hidden, never logged/)).toBeTruthy();
    fireEvent.change(field, { target: { value: 'sk-hidden-1234' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send answer' }));
    await waitFor(() => expect(sent).toEqual([{ kind: 'question', answers: { key: ['sk-hidden-1234'] } }]));
  });

  it('a secret answer given elsewhere is never shown', () => {
    setup({
      ...question,
      request: {
        kind: 'question',
        questions: [
          { id: 'user', text: 'User?', options: [], multiSelect: false, allowFreeText: true },
          { id: 'key', text: 'API key?', options: [], multiSelect: false, allowFreeText: true, secret: true },
        ],
      },
      answer: { kind: 'question', answers: { user: ['ada'], key: ['sk-web-typed-999'] } },
      answeredBy: 'web',
      answeredAt: base.createdAt,
    });
    expect(screen.getByText('Answered: ada; (secret).')).toBeTruthy();
    expect(document.body.textContent).not.toContain('sk-web-typed-999');
  });

  it('answered here shows "Resolved", not "elsewhere"', () => {
    setup({
      ...question,
      answer: { kind: 'question', answers: { color: ['Red'] } },
      answeredBy: 'web',
      answeredAt: base.createdAt,
    });
    expect(screen.getByText('Resolved')).toBeTruthy();
    expect(screen.getByText('Answered: Red.')).toBeTruthy();
  });
});
