import { createAcpAgent } from '../src/acp/acp-agent.js';
import type { AgentRunInput } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { fixture, ofType, record, tempDir } from './helpers.js';

// The generic ACP client's session edges, against hand-written conversations (fixtures/acp/).

async function replay(name: string, resumeSessionId: string | null) {
  const workDir = await tempDir();
  const agent = createAcpAgent({
    id: 'acp:replay',
    command: [process.execPath, fixture('replay-acp.mjs')],
    env: { FIXTURE: fixture(`acp/${name}.jsonl`), ECHO_PROMPT: '1' },
    parentEnv: { PATH: '/usr/bin:/bin' },
    termGraceMs: 1000,
    timeoutMs: 20_000,
    exitGraceMs: 1000,
  });
  const input: AgentRunInput = {
    jobId: 'job-1',
    attemptId: 'attempt-1',
    attemptNumber: 2,
    title: 'Replay',
    instructions: 'Carry on.',
    workDir,
    agent: { id: 'acp:replay' },
    resumeSessionId,
    protectedPaths: [],
    env: {},
  };
  const run = agent.start(input);
  return { run, ...record(run) };
}

const previous = '11111111-2222-4333-8444-555555555555';

describe('ACP sessions', () => {
  it('a session/load that "succeeds" with no history replayed continues with a recap', async () => {
    const { run, events } = await replay('load-empty', previous);
    const result = await run.result;
    expect(result.status).toBe('completed');
    expect(result.summary).toContain('Recap of earlier tries');
    expect(events.find(ofType('session.started'))).toEqual({
      type: 'session.started',
      sessionId: previous,
      resumed: true,
    });
    expect(events.filter(ofType('warning')).some((w) => w.message.includes('without any history'))).toBe(
      true,
    );
  });

  it('an agent that cannot load sessions gets a fresh session with a recap (fallback run)', async () => {
    const { run, events } = await replay('no-load', previous);
    const result = await run.result;
    const warnings = events.filter(ofType('warning')).map((w) => w.message);
    expect(warnings.some((w) => w.includes('no loadSession capability'))).toBe(true);
    expect(warnings.some((w) => w.includes(`in place of ${previous}`))).toBe(true);
    expect(result).toMatchObject({ status: 'completed', sessionId: '99999999-2222-4333-8444-555555555555' });
    expect(result.summary).toContain('Recap of earlier tries');
  });

  it('refuses an agent that answers with another protocol version', async () => {
    const { run } = await replay('v2-agent', null);
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('ACP version 2');
  });
});
