import { describe, expect, it } from 'vitest';
import { buildClaudeArgs, isSessionId } from './claude-args.js';
import { claudeEnv } from './claude-env.js';

describe('claudeEnv', () => {
  it('passes Claude credentials and provider settings only, and drops a parent session', () => {
    const env = claudeEnv(
      {
        ANTHROPIC_API_KEY: 'k',
        CLAUDE_CODE_USE_BEDROCK: '1',
        AWS_REGION: 'eu-west-1',
        VERTEX_REGION_CLAUDE_4: 'us-east5',
        GITHUB_TOKEN: 'g',
        CLAUDECODE: '1',
        CLAUDE_CODE_SSE_PORT: '9',
      },
      { CLAUDECODE: '1', CLAUDE_CODE_ENTRYPOINT: 'cli', EXTRA: 'x' },
    );
    expect(env).toEqual({
      ANTHROPIC_API_KEY: 'k',
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'eu-west-1',
      VERTEX_REGION_CLAUDE_4: 'us-east5',
      EXTRA: 'x',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_ENTRYPOINT: 'coord-runner',
    });
  });
});

describe('buildClaudeArgs', () => {
  it('refuses a session id that is not a UUID (it would reach argv)', () => {
    expect(isSessionId('--help')).toBe(false);
    expect(() => buildClaudeArgs({ sessionId: '--help', resume: true, permissionMode: 'default' })).toThrow();
  });
});
