import { describe, expect, it } from 'vitest';
import { approvalSummary, createClaudeSession, parseClaudeLine, toolKind } from './claude-parser.js';

const parse = (value: unknown, session = createClaudeSession(false)) =>
  parseClaudeLine(typeof value === 'string' ? value : JSON.stringify(value), session);

describe('parseClaudeLine', () => {
  it('refuses a control request it does not support with an error answer, warning once', () => {
    const session = createClaudeSession(false);
    const hook = { type: 'control_request', request_id: 'r1', request: { subtype: 'hook_callback' } };
    const first = parse(hook, session);
    expect(first.replies.map((r) => JSON.parse(r) as unknown)).toEqual([
      {
        type: 'control_response',
        response: { subtype: 'error', request_id: 'r1', error: 'unsupported control request: hook_callback' },
      },
    ]);
    expect(first.events).toHaveLength(1);
    const again = parse({ ...hook, request_id: 'r2' }, session);
    expect(again.replies).toHaveLength(1);
    expect(again.events).toEqual([]);
  });

  it("keeps a subagent's words out of the answer, and thinking as reasoning", () => {
    const sub = parse({
      type: 'assistant',
      parent_tool_use_id: 'toolu_task',
      message: {
        content: [
          { type: 'text', text: 'sub says' },
          { type: 'thinking', thinking: 'hmm' },
        ],
      },
    });
    expect(sub.events).toEqual([{ type: 'message.delta', channel: 'reasoning', text: 'hmm' }]);
  });

  it('ends the turn at once when the model API refuses the credentials (the CLI would retry for minutes)', () => {
    const line = {
      type: 'system',
      subtype: 'api_retry',
      attempt: 1,
      max_retries: 10,
      retry_delay_ms: 500,
      error_status: 401,
      error: 'authentication_failed',
    };
    const [end] = parse(line).events;
    expect(end).toMatchObject({ type: 'turn.completed', status: 'failed' });
    expect((end as { error: string }).error).toContain('set ANTHROPIC_API_KEY');
    const overloaded = parse({
      ...line,
      error_status: 529,
      error: 'overloaded',
      attempt: 3,
      retry_delay_ms: 4200,
    });
    expect(overloaded.events).toEqual([
      {
        type: 'warning',
        message: 'The model API answered 529; Claude Code retries in 4 s (attempt 3 of 10).',
      },
    ]);
  });

  it('maps result subtypes to turn ends', () => {
    const end = (result: Record<string, unknown>) =>
      parse({ type: 'result', ...result }).events.find((e) => e.type === 'turn.completed');
    expect(end({ subtype: 'error_max_turns', is_error: true })).toEqual({
      type: 'turn.completed',
      status: 'max_turns',
    });
    expect(end({ subtype: 'error_max_budget_usd', is_error: true })).toMatchObject({
      status: 'failed',
      error: 'it reached its budget',
    });
    expect(end({ subtype: 'error_during_execution', is_error: true, errors: ['boom'] })).toMatchObject({
      status: 'failed',
      error: 'boom',
    });
    expect(end({ subtype: 'success', is_error: true, result: 'API Error: 401' })).toMatchObject({
      status: 'failed',
      error: 'API Error: 401',
    });
  });

  it('ignores system lines other than the first init and api_retry, and known chatter', () => {
    const session = createClaudeSession(false);
    const init = { type: 'system', subtype: 'init', session_id: 's-1' };
    expect(parse(init, session).events).toHaveLength(1);
    expect(parse(init, session).events).toEqual([]);
    expect(parse({ type: 'system', subtype: 'status', status: 'requesting' }, session).events).toEqual([]);
    expect(parse({ type: 'stream_event', event: {} }, session).events).toEqual([]);
  });

  it("shows streamed text and thinking deltas once, and not a subagent's words", () => {
    const session = createClaudeSession(false);
    const delta = (d: object, parent: string | null = null) =>
      parse(
        {
          type: 'stream_event',
          event: { type: 'content_block_delta', index: 0, delta: d },
          parent_tool_use_id: parent,
        },
        session,
      ).events;
    expect(delta({ type: 'text_delta', text: 'Hel' })).toEqual([
      { type: 'message.delta', channel: 'text', text: 'Hel' },
    ]);
    expect(delta({ type: 'text_delta', text: 'sub' }, 'toolu_task')).toEqual([]);
    expect(delta({ type: 'input_json_delta', partial_json: '{"a":' })).toEqual([]);
    expect(delta({ type: 'thinking_delta', thinking: 'hmm' })).toEqual([
      { type: 'message.delta', channel: 'reasoning', text: 'hmm' },
    ]);
    // The whole message repeats the streamed thinking: not shown twice.
    const whole = parse(
      {
        type: 'assistant',
        message: {
          content: [
            { type: 'thinking', thinking: 'hmm' },
            { type: 'text', text: 'Hello' },
          ],
        },
      },
      session,
    ).events;
    expect(whole).toEqual([{ type: 'message.completed', role: 'assistant', text: 'Hello' }]);
  });

  it('throws on what is not a message of the shape its type promises (the driver warns)', () => {
    expect(() => parse('{"type":"assistant"')).toThrow();
    expect(() => parse('"just a string"')).toThrow('not a JSON object');
    expect(() => parse({ type: 'assistant', message: { content: 'not blocks' } })).toThrow(
      /unexpected assistant/,
    );
    expect(() => parse({ type: 'result' })).toThrow(/unexpected result/);
  });

  it('shows a tool request as one line a person can judge', () => {
    const request = (tool_name: string, input: Record<string, unknown>, extra = {}) =>
      approvalSummary({ subtype: 'can_use_tool', tool_name, input, ...extra });
    expect(request('Bash', { command: 'make test' })).toBe('Bash: make test');
    expect(request('Edit', { file_path: '/w/a.ts' }, { decision_reason: 'outside the project' })).toBe(
      'Edit: /w/a.ts (outside the project)',
    );
    expect(request('mcp__db__query', { sql: 'select 1' })).toBe('mcp__db__query: {"sql":"select 1"}');
    expect(toolKind('mcp__db__query')).toBe('mcp');
    expect(toolKind('SomethingNew')).toBe('other');
  });
});
