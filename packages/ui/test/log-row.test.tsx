import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LogRow } from '../src/index.js';
import { agent, event } from './events.js';

const row = (e: ReturnType<typeof event>) => render(<LogRow event={e} />).container;

describe('LogRow draws each event kind', () => {
  it('an assistant message, as text', () => {
    const c = row(agent({ type: 'message.completed', role: 'assistant', text: 'I will fix the <b>bug</b>' }));
    expect(c.textContent).toContain('Agent');
    expect(c.textContent).toContain('I will fix the <b>bug</b>');
    expect(c.querySelector('b')).toBeNull(); // agent text is never HTML
  });

  it('a message that streamed as deltas, offered whole but not shown a second time', () => {
    const c = row(
      agent({ type: 'message.completed', role: 'assistant', text: 'All tests pass', streamed: true }),
    );
    const details = c.querySelector('details')!;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')!.textContent).toBe('The whole message (streamed above)');
    expect(c.querySelector('.cr-entry-label')!.textContent).toBe('Agent');
    fireEvent.click(details.querySelector('summary')!);
    expect(details.textContent).toContain('All tests pass');
  });

  it('a tool result whose output streamed above is folded; one that did not stream is shown', () => {
    const streamed = row(
      agent({
        type: 'tool.completed',
        toolCallId: 't',
        status: 'ok',
        exitCode: 0,
        output: 'note.txt\n',
        streamed: true,
      }),
    );
    const details = streamed.querySelector('details')!;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')!.textContent).toBe('The whole output (streamed above)');
    expect(streamed.textContent).toContain('ok · exit 0');
    const whole = row(agent({ type: 'tool.completed', toolCallId: 't', status: 'ok', output: 'note.txt\n' }));
    expect(whole.querySelector('details')).toBeNull();
    expect(whole.querySelector('.cr-result')!.textContent).toBe('note.txt\n');
  });

  it('streamed deltas: labelled Thinking or Agent, and a run continued with the label kept unseen', () => {
    const thinking = row(agent({ type: 'message.delta', channel: 'reasoning', text: 'Consider the parser' }));
    expect(thinking.querySelector('.cr-entry-label')!.textContent).toBe('Thinking');
    expect(thinking.querySelector('.cr-channel-reasoning .cr-text')!.textContent).toBe('Consider the parser');
    expect(thinking.querySelector('details')).toBeNull();
    const text = row(agent({ type: 'message.delta', channel: 'text', text: 'partial answ' }));
    expect(text.querySelector('.cr-entry-label')!.textContent).toBe('Agent');
    expect(text.textContent).toContain('partial answ');
    const next = render(
      <LogRow event={agent({ type: 'message.delta', channel: 'text', text: 'er goes on' })} continues />,
    ).container;
    const label = next.querySelector('.cr-entry-label')!;
    expect(label.classList.contains('cr-label-kept')).toBe(true);
    expect(label.getAttribute('aria-hidden')).toBe('true');
    expect(next.textContent).toContain('er goes on');
  });

  it('a shell tool call with its command and working directory', () => {
    const c = row(
      agent({
        type: 'tool.started',
        toolCallId: 't1',
        name: 'run',
        kind: 'shell',
        title: 'Run npm test',
        input: { command: ['npm', 'test', '--', 'a b'], cwd: '/w' },
      }),
    );
    expect(c.textContent).toContain('Run npm test');
    expect(c.querySelector('.cr-command')!.textContent).toBe("$ npm test -- 'a b'\n# in /w");
  });

  it('an outcome named like an object key reads as itself', () => {
    const c = row(event('job.finished', { outcome: 'constructor', summary: 's' }));
    expect(c.textContent).toContain('constructor');
    expect(c.textContent).not.toContain('function');
  });

  it('a tool kind named like an object key gets the plain icon', () => {
    for (const kind of ['constructor', '__proto__', 'toString']) {
      const c = row(agent({ type: 'tool.started', toolCallId: 't', name: 'x', kind, title: 'X', input: {} }));
      expect(c.querySelector('.cr-tool-icon')?.textContent, kind).toBe('•');
    }
  });

  it('a short command without a directory sits on the tool line', () => {
    const c = row(
      agent({
        type: 'tool.started',
        toolCallId: 't9',
        name: 'Bash',
        kind: 'shell',
        title: 'Run tests',
        input: { command: 'npm test' },
      }),
    );
    expect(c.querySelector('.cr-inline-command')!.textContent).toBe('$ npm test');
    expect(c.querySelector('.cr-command')).toBeNull();
  });

  it('a file edit as a diff', () => {
    const c = row(
      agent({
        type: 'tool.started',
        toolCallId: 't2',
        name: 'Edit',
        kind: 'edit',
        input: {
          file_path: 'src/a.ts',
          old_string: 'const a = 1;',
          new_string: 'const a = 2;\nconst b = 3;',
        },
      }),
    );
    expect(c.querySelector('.cr-diff-path')!.textContent).toBe('src/a.ts');
    expect([...c.querySelectorAll('.cr-diff-del')].map((l) => l.textContent)).toEqual(['- const a = 1;\n']);
    expect([...c.querySelectorAll('.cr-diff-add')].map((l) => l.textContent)).toEqual([
      '+ const a = 2;\n',
      '+ const b = 3;\n',
    ]);
  });

  it('a write without content: its path and size', () => {
    const c = row(
      agent({
        type: 'tool.started',
        toolCallId: 't3',
        name: 'write',
        kind: 'edit',
        title: 'Write notes.md',
        input: { path: 'notes.md', bytes: 12 },
      }),
    );
    expect(c.textContent).toContain('notes.md · 12 bytes');
  });

  it('another tool: its input as JSON, folded', () => {
    const c = row(
      agent({
        type: 'tool.started',
        toolCallId: 't4',
        name: 'WebFetch',
        kind: 'web',
        input: { url: 'https://example.com', prompt: 'x' },
      }),
    );
    expect(c.querySelector('details.cr-json pre')!.textContent).toContain('"url": "https://example.com"');
  });

  it('command output, stdout and stderr', () => {
    const out = row(
      agent({ type: 'tool.output', toolCallId: 't1', stream: 'stdout', chunk: 'ok 1\nok 2\n' }),
    );
    expect(out.querySelector('.cr-stream-stdout')!.textContent).toBe('ok 1\nok 2');
    const err = row(agent({ type: 'tool.output', toolCallId: 't1', stream: 'stderr', chunk: 'boom' }));
    expect(err.querySelector('.cr-stream-stderr')!.textContent).toBe('boom');
  });

  it('a tool result with status, exit code and output', () => {
    const c = row(
      agent({
        type: 'tool.completed',
        toolCallId: 't1',
        status: 'error',
        exitCode: 2,
        output: 'failed: 1 test',
      }),
    );
    expect(c.querySelector('.cr-pill-error')!.textContent).toBe('error · exit 2');
    expect(c.querySelector('.cr-result')!.textContent).toBe('failed: 1 test');
  });

  it('warnings, stderr lines, usage, turns, sessions, process exits', () => {
    expect(row(agent({ type: 'warning', message: 'Rate limited, retrying' })).textContent).toBe(
      'WarningRate limited, retrying',
    );
    expect(row(agent({ type: 'stderr', line: 'npm WARN deprecated' })).textContent).toBe(
      'npm WARN deprecated',
    );
    expect(
      row(agent({ type: 'usage', inputTokens: 12000, outputTokens: 345, costUsd: 0.0123, cumulative: true }))
        .textContent,
    ).toBe('12,000 tokens in · 345 out · $0.0123');
    expect(row(agent({ type: 'turn.completed', status: 'failed', error: 'model refused' })).textContent).toBe(
      'Turn failedmodel refused',
    );
    // A completed turn's result repeats its last message: offered folded, not shown a second time.
    const completed = row(
      agent({ type: 'turn.completed', status: 'completed', finalText: 'All tests pass' }),
    );
    expect(completed.querySelector('.cr-entry-label')!.textContent).toBe('Turn completed');
    expect(completed.querySelector('details')!.open).toBe(false);
    expect(completed.querySelector('summary')!.textContent).toBe('Its result');
    expect(
      row(agent({ type: 'session.started', sessionId: 's-1', model: 'sonnet', resumed: true })).textContent,
    ).toBe('Resumed agent session s-1 · sonnet');
    expect(
      row(agent({ type: 'session.started', sessionId: 's-2', resumed: false, demo: true })).textContent,
    ).toContain('demo agent: scripted, no AI');
    expect(row(agent({ type: 'process.exited', code: 1, signal: null, sawTurnEnd: false })).textContent).toBe(
      'Agent process exited with code 1',
    );
  });

  it('agent requests and withdrawals', () => {
    expect(
      row(
        agent({
          type: 'approval.requested',
          requestId: 'r',
          toolName: 'Bash',
          kind: 'shell',
          summary: 'rm -rf build',
          input: {},
        }),
      ).textContent,
    ).toBe('AsksBash: rm -rf build');
    // An agent's summary that names its tool already: the name is said once.
    expect(
      row(
        agent({
          type: 'approval.requested',
          requestId: 'r',
          toolName: 'Bash',
          summary: 'Bash: ls',
          input: {},
        }),
      ).textContent,
    ).toBe('AsksBash: ls');
    expect(row(agent({ type: 'question.requested', requestId: 'q', questions: [] })).textContent).toBe(
      'AsksA question',
    );
    const question = (id: string, text: string) => ({
      id,
      text,
      options: [],
      multiSelect: false,
      allowFreeText: true,
    });
    expect(
      row(agent({ type: 'question.requested', requestId: 'q', questions: [question('a', 'Which tone?')] }))
        .textContent,
    ).toBe('AsksWhich tone?');
    expect(
      row(
        agent({
          type: 'question.requested',
          requestId: 'q',
          questions: [question('a', 'Which tone?'), question('b', 'Which file?'), question('c', 'Why?')],
        }),
      ).textContent,
    ).toBe('AsksWhich tone? (and 2 more questions)');
    expect(row(agent({ type: 'request.withdrawn', requestId: 'r' })).textContent).toBe(
      'ClosedThe agent withdrew its request',
    );
  });

  it('runner events: claimed, state, logs, policy, interactions, finished', () => {
    expect(row(event('job.claimed', { title: 'Fix it' })).textContent).toBe('Claimed: Fix it');
    expect(row(event('job.state', { state: 'running' })).textContent).toBe('Agent running');
    expect(row(event('job.state', { state: 'awaiting_input' })).textContent).toBe('Waiting for an answer');
    // A state a newer runner sends reads as its name.
    expect(row(event('job.state', { state: 'warming_up' })).textContent).toBe('warming up');
    expect(row(event('job.state', { state: 'constructor' })).textContent).toBe('constructor');
    expect(row(event('job.log', { level: 'warn', message: 'disk almost full' })).textContent).toBe(
      'Warningdisk almost full',
    );
    expect(
      row(event('approval.decided', { decision: 'ask', toolName: 'run', reason: 'outside the project' }))
        .textContent,
    ).toBe('Policy: askrun outside the project');
    expect(
      row(event('interaction.requested', { request: { kind: 'approval', toolName: 'run', summary: 'make' } }))
        .textContent,
    ).toBe('WaitingApproval requested: run: make');
    expect(
      row(
        event('interaction.requested', {
          request: { kind: 'approval', toolName: 'Bash', summary: 'Bash: printf x > a.md' },
        }),
      ).textContent,
    ).toBe('WaitingApproval requested: Bash: printf x > a.md');
    expect(
      row(event('interaction.requested', { request: { kind: 'question', questions: [] } })).textContent,
    ).toBe('WaitingQuestion asked');
    expect(
      row(
        event('interaction.resolved', {
          answer: { kind: 'approval', decision: 'deny', stop: true },
          by: 'web',
        }),
      ).textContent,
    ).toBe('Answereddenied, and stopped (from the web)');
    expect(
      row(event('interaction.resolved', { answer: { kind: 'timeout' }, by: 'timeout' })).textContent,
    ).toBe('Closedtimed out (denied)');
    expect(
      row(event('interaction.resolved', { answer: { kind: 'withdrawn' }, by: 'withdrawn' })).textContent,
    ).toBe('Closedwithdrawn (no answer needed)');
    const finished = row(
      event('job.finished', {
        outcome: 'failed',
        summary: 'Tests failed',
        error: { code: 'agent.crashed', message: 'exit 1' },
      }),
    );
    expect(finished.textContent).toBe('Finished: FailedTests failed\nagent.crashed: exit 1');
    // An outcome as the attempt card words it, not its id.
    expect(
      row(event('job.finished', { outcome: 'no_changes', summary: 'Nothing to change' })).querySelector(
        '.cr-entry-label',
      )!.textContent,
    ).toBe('Finished: No changes');
  });

  it('an unknown event, or a hostile shape, as its type only', () => {
    expect(row(event('job.future', { x: 1 })).textContent).toBe('job.future');
    expect(
      row(
        agent({ type: 'tool.started', name: { evil: true }, input: '<img src=x onerror=alert(1)>' }),
      ).querySelector('img'),
    ).toBeNull();
    expect(screen.getAllByText('tool').length).toBeGreaterThan(0);
  });
});
