import type { SessionNotification } from '@agentclientprotocol/sdk';
import { describe, expect, it } from 'vitest';
import {
  createAcpTurnState,
  mapSessionUpdate,
  promptUsage,
  toolInput,
  toolName,
  turnEnd,
} from './acp-updates.js';

const note = (update: Record<string, unknown>): SessionNotification =>
  ({ sessionId: 's', update }) as unknown as SessionNotification;

describe('ACP session/update mapping', () => {
  it('streams agent text and reasoning, and completes the message at the turn end', () => {
    const turn = createAcpTurnState();
    expect(
      mapSessionUpdate(
        note({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'hm' } }),
        turn,
      ),
    ).toEqual([{ type: 'message.delta', channel: 'reasoning', text: 'hm' }]);
    mapSessionUpdate(
      note({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Hel' } }),
      turn,
    );
    mapSessionUpdate(
      note({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'lo' } }),
      turn,
    );
    expect(turnEnd({ stopReason: 'end_turn' }, turn)).toEqual([
      { type: 'message.completed', role: 'assistant', text: 'Hello' },
      { type: 'turn.completed', status: 'completed', finalText: 'Hello' },
    ]);
  });

  it('maps stop reasons: cancelled is interrupted, limits are max_turns, refusal fails', () => {
    const status = (stopReason: string) =>
      turnEnd({ stopReason } as never, createAcpTurnState()).at(-1) as { status: string };
    expect(status('cancelled').status).toBe('interrupted');
    expect(status('max_tokens').status).toBe('max_turns');
    expect(status('max_turn_requests').status).toBe('max_turns');
    expect(status('refusal').status).toBe('failed');
  });

  it('turns tool calls into started and completed events, once each', () => {
    const turn = createAcpTurnState();
    const id = 'run_shell_command__run_shell_command_1_0';
    expect(
      mapSessionUpdate(
        note({ sessionUpdate: 'tool_call', toolCallId: id, title: 'ls', kind: 'execute', status: 'pending' }),
        turn,
      ),
    ).toEqual([
      {
        type: 'tool.started',
        toolCallId: id,
        name: 'run_shell_command',
        kind: 'shell',
        input: { command: 'ls', title: 'ls' },
        title: 'ls',
      },
    ]);
    const done = note({
      sessionUpdate: 'tool_call_update',
      toolCallId: id,
      status: 'completed',
      content: [{ type: 'content', content: { type: 'text', text: 'a.txt' } }],
    });
    expect(mapSessionUpdate(done, turn)).toEqual([
      { type: 'tool.completed', toolCallId: id, status: 'ok', output: 'a.txt' },
    ]);
    expect(mapSessionUpdate(done, turn)).toEqual([]);
    turn.denied.add('x');
    expect(
      mapSessionUpdate(
        note({ sessionUpdate: 'tool_call_update', toolCallId: 'x', status: 'failed' }),
        turn,
      ).at(-1),
    ).toMatchObject({
      status: 'denied',
    });
  });

  it('names tools from Gemini ids, else the name or kind, and keeps a diff for edits', () => {
    expect(toolName({ toolCallId: 'write_file__write_file_9_0', kind: 'edit' })).toBe('write_file');
    expect(toolName({ toolCallId: 'call-1', kind: 'fetch' })).toBe('fetch');
    expect(toolName({ toolCallId: 'call-1', name: 'Bash' })).toBe('Bash');
    expect(
      toolInput(
        {
          toolCallId: 'e',
          kind: 'edit',
          content: [{ type: 'diff', path: '/w/a.md', oldText: null, newText: '# A' }],
        },
        '/w',
      ),
    ).toEqual({ diffs: [{ path: '/w/a.md', oldText: null, newText: '# A' }], cwd: '/w' });
  });

  it('skips replayed history while a session loads, and counts it', () => {
    const turn = createAcpTurnState();
    turn.replaying = true;
    expect(
      mapSessionUpdate(
        note({ sessionUpdate: 'user_message_chunk', content: { type: 'text', text: 'old' } }),
        turn,
      ),
    ).toEqual([]);
    expect(turn.replayed).toBe(1);
    expect(turn.text).toBe('');
  });

  it('warns about an update kind it does not know, and ignores housekeeping ones', () => {
    const turn = createAcpTurnState();
    expect(mapSessionUpdate(note({ sessionUpdate: 'hologram' }), turn)[0]).toMatchObject({ type: 'warning' });
    expect(
      mapSessionUpdate(note({ sessionUpdate: 'available_commands_update', availableCommands: [] }), turn),
    ).toEqual([]);
  });

  it("reads Gemini's token counts from the prompt result's _meta, and nothing odd", () => {
    expect(
      promptUsage({
        stopReason: 'end_turn',
        _meta: { quota: { token_count: { input_tokens: 24, output_tokens: 10 } } },
      }),
    ).toEqual({
      type: 'usage',
      inputTokens: 24,
      outputTokens: 10,
      cumulative: false,
    });
    expect(promptUsage({ stopReason: 'end_turn' })).toBeNull();
    expect(
      promptUsage({
        stopReason: 'end_turn',
        _meta: { quota: { token_count: { input_tokens: -1, output_tokens: 'x' } } },
      }),
    ).toBeNull();
  });
});
