/** Permission modes a runner may start Claude Code in. `bypassPermissions` is deliberately absent. */
export type ClaudePermissionMode = 'default' | 'acceptEdits' | 'plan' | 'dontAsk';

export interface ClaudeArgsInput {
  sessionId: string;
  /** Resume `sessionId` (--resume) instead of starting it (--session-id). */
  resume: boolean;
  permissionMode: ClaudePermissionMode;
  model?: string | undefined;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Claude Code session ids are UUIDs; anything else (from a server, a file) is not passed on. */
export const isSessionId = (value: string): boolean => uuidPattern.test(value);

/**
 * The argv for a headless, bidirectional Claude Code run: stream-json both ways, permission asks
 * over the control protocol (`--permission-prompt-tool stdio`), and the permission mode always
 * explicit (the CLI's own default has changed between versions). Values go in the `--flag=value`
 * form, so one that starts with a dash (a model name from a job) can never become a flag; the
 * prompt itself goes over stdin, never argv.
 *
 * A work directory is often someone else's repository, and in -p mode (no trust dialog) the CLI
 * would honour what it brings: its .claude/settings*.json allow rules (skipping the person's
 * approval) and hooks, and its .mcp.json servers, started at once (commands run unasked; both
 * verified on 2.1.332 in tests/agents). So settings come from the user's own files only, and MCP
 * servers only from the runner (none yet).
 */
export function buildClaudeArgs(input: ClaudeArgsInput): string[] {
  if (!isSessionId(input.sessionId)) throw new Error('a Claude Code session id must be a UUID');
  return [
    '-p',
    '--input-format=stream-json',
    '--output-format=stream-json',
    '--verbose',
    // The answer as it is written (stream_event deltas), not only once each message is whole.
    '--include-partial-messages',
    '--permission-prompt-tool=stdio',
    `--permission-mode=${input.permissionMode}`,
    '--setting-sources=user',
    '--strict-mcp-config',
    input.resume ? `--resume=${input.sessionId}` : `--session-id=${input.sessionId}`,
    ...(input.model ? [`--model=${input.model}`] : []),
  ];
}
