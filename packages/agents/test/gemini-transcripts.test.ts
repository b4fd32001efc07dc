import { createAcpAgent } from '../src/acp/acp-agent.js';
import type { AgentRunInput } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { fixture, ofType, record, tempDir } from './helpers.js';

// The ACP adapter (process driver + SDK + mapping) against what the pinned Gemini CLI really said,
// replayed by fixtures/replay-acp.mjs (recorded by tests/agents/test/record-gemini-fixtures.test.ts).

const version = '0.61.0';

async function replay(name: string, hostile = false) {
  const workDir = await tempDir();
  const agent = createAcpAgent({
    id: 'acp:replay',
    command: [process.execPath, fixture('replay-acp.mjs')],
    env: { FIXTURE: fixture(`gemini-${version}/${name}.jsonl`), ...(hostile ? { HOSTILE: '1' } : {}) },
    parentEnv: { PATH: '/usr/bin:/bin' },
    termGraceMs: 1000,
    timeoutMs: 20_000,
    exitGraceMs: 1000,
  });
  const input: AgentRunInput = {
    jobId: 'job-1',
    attemptId: 'attempt-1',
    attemptNumber: 1,
    title: 'Replay',
    instructions: 'Do what the fake model says.',
    workDir,
    agent: { id: 'acp:replay' },
    resumeSessionId: null,
    protectedPaths: [],
    env: {},
  };
  const run = agent.start(input);
  return { run, ...record(run) };
}

describe(`Gemini CLI ${version} ACP transcripts`, () => {
  it('approve: session, tool, approval, completed tool, answer, usage and a completed turn', async () => {
    const { run, until, types, events } = await replay('approve');
    const asked = await until(ofType('approval.requested'));
    expect(asked).toMatchObject({
      toolName: 'run_shell_command',
      kind: 'shell',
      summary: 'run_shell_command: echo approved > out.txt',
    });
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    const result = await run.result;
    expect(result).toMatchObject({
      status: 'completed',
      summary: 'Wrote out.txt.',
      usage: { inputTokens: 24, outputTokens: 10 },
    });
    expect(types().filter((t) => t !== 'message.delta' && t !== 'stderr')).toEqual([
      'session.started',
      'tool.started',
      'approval.requested',
      'tool.completed',
      'message.completed',
      'usage',
      'turn.completed',
      'process.exited',
    ]);
    expect(events.find(ofType('tool.completed'))).toMatchObject({ status: 'ok' });
  });

  it('deny: the tool call reads `denied` (Gemini sends no update for it)', async () => {
    const { run, until, events } = await replay('deny');
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'deny', message: 'no' });
    expect(await run.result).toMatchObject({ status: 'completed', summary: 'I did not run it.' });
    expect(events.filter(ofType('tool.completed'))).toEqual([
      { type: 'tool.completed', toolCallId: asked.toolCallId, status: 'denied' },
    ]);
  });

  it('interrupt during an approval: withdrawn, answered cancelled, turn interrupted', async () => {
    const { run, until, events } = await replay('interrupt-approval');
    const asked = await until(ofType('approval.requested'));
    await run.interrupt(5000);
    expect(await run.result).toMatchObject({ status: 'interrupted', error: null });
    expect(events.find(ofType('request.withdrawn'))).toEqual({
      type: 'request.withdrawn',
      requestId: asked.requestId,
    });
    expect(events.find(ofType('turn.completed'))).toMatchObject({ status: 'interrupted' });
  });

  it('hostile output (broken JSON, binary, unknown kinds and requests, a 20 MB line, a split line) becomes warnings and the run goes on', async () => {
    const { run, until, events } = await replay('approve', true);
    const asked = await until(ofType('approval.requested'), 10_000);
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    const result = await run.result;
    expect(result).toMatchObject({ status: 'completed', summary: 'Wrote out.txt.' });
    const warnings = events.filter(ofType('warning')).map((w) => w.message);
    expect(warnings.filter((w) => w.startsWith('agent.bad_output')).length).toBeGreaterThanOrEqual(3);
    expect(warnings.some((w) => w.includes('hologram_update'))).toBe(true);
    // Warnings stay small: a 20 MB line is not copied into them.
    expect(Math.max(...warnings.map((w) => w.length))).toBeLessThan(2000);
  });
});
