import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentRunInput } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { createClaudeCodeAgent, type ClaudeCodeAgentOptions } from '../src/claude/claude-agent.js';
import { fixture, ofType, record, tempDir } from './helpers.js';

// The whole adapter (detection, argv, env, driver, parser, answers) against a stand-in CLI that
// replays the recorded transcripts: fast, offline, and able to misbehave on purpose.

const posix = process.platform !== 'win32';
const transcript = (name: string) => fixture(`claude-code-2.1.332/${name}.jsonl`);

async function fakeClaude(): Promise<string> {
  const dir = await tempDir();
  const file = path.join(dir, 'claude');
  const source = await readFile(fixture('fake-claude.mjs'), 'utf8');
  await writeFile(file, source.replace(/^#!.*\n/, `#!${process.execPath}\n`));
  await chmod(file, 0o755);
  return file;
}

async function setup(options: ClaudeCodeAgentOptions = {}, parentEnv: NodeJS.ProcessEnv = {}) {
  const program = await fakeClaude();
  const workDir = await tempDir();
  const scratch = await tempDir();
  const agent = createClaudeCodeAgent({
    ...options,
    detect: { configuredPath: program },
    parentEnv: { PATH: '/usr/bin:/bin', HOME: scratch, ...parentEnv },
  });
  const detected = await agent.detect();
  const start = (env: Record<string, string>, overrides: Partial<AgentRunInput> = {}) => {
    const run = agent.start({
      jobId: 'job-1',
      attemptId: 'attempt-1',
      attemptNumber: 1,
      title: 'Fix the bug',
      instructions: 'The tests fail.',
      workDir,
      agent: { id: 'claude-code' },
      resumeSessionId: null,
      protectedPaths: [],
      env,
      ...overrides,
    });
    return { run, ...record(run) };
  };
  return { agent, detected, program, start, workDir, scratch, argvFile: path.join(scratch, 'argv.json') };
}

describe.skipIf(!posix)('Claude Code adapter on recorded transcripts', () => {
  it('detects a configured program and reports its version', async () => {
    const { detected, program } = await setup();
    expect(detected).toEqual({
      id: 'claude-code',
      state: 'detected',
      version: '2.1.332',
      enabled: true,
      path: program,
    });
  });

  it('starts the CLI headless with an explicit permission mode, a fresh session id and the prompt on stdin', async () => {
    const { start, argvFile } = await setup(
      { permissionMode: 'acceptEdits' },
      { ANTHROPIC_API_KEY: 'sk-ant-secret-value-123', COORD_TOKEN: 'runner-only', CLAUDECODE: '1' },
    );
    const { run, events } = start(
      {
        FAKE_CLAUDE_TRANSCRIPT: transcript('interrupt-streaming'),
        FAKE_CLAUDE_ARGV: argvFile,
        CLAUDE_CODE_SSE_PORT: '1234',
      },
      { agent: { id: 'claude-code', model: '--dangerously-skip-permissions' } },
    );
    const result = await run.result;
    const { argv, env } = JSON.parse(await readFile(argvFile, 'utf8')) as {
      argv: string[];
      env: Record<string, string>;
    };
    const sessionFlag = argv.find((a) => a.startsWith('--session-id='));
    expect(sessionFlag).toMatch(/^--session-id=[0-9a-f-]{36}$/);
    expect(argv).toEqual([
      '-p',
      '--input-format=stream-json',
      '--output-format=stream-json',
      '--verbose',
      '--include-partial-messages',
      '--permission-prompt-tool=stdio',
      '--permission-mode=acceptEdits',
      '--setting-sources=user',
      '--strict-mcp-config',
      sessionFlag,
      // A job's model can never become a flag of its own.
      '--model=--dangerously-skip-permissions',
    ]);
    expect(env).toMatchObject({
      ANTHROPIC_API_KEY: 'sk-ant-secret-value-123',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_ENTRYPOINT: 'coord-runner',
    });
    expect(env).not.toHaveProperty('COORD_TOKEN');
    expect(env).not.toHaveProperty('CLAUDECODE');
    expect(env).not.toHaveProperty('CLAUDE_CODE_SSE_PORT');
    expect(JSON.stringify(events)).not.toContain('sk-ant-secret-value-123');
    // The session id chosen up front is the run's, whatever the transcript says.
    expect(result.sessionId).toBe(sessionFlag?.slice('--session-id='.length));
  });

  it('resumes a previous session with --resume and a continue prompt', async () => {
    const { start, argvFile } = await setup();
    const previous = '3f0c1c9e-7d4b-4f7a-9d55-1a2b3c4d5e6f';
    const { run } = start(
      { FAKE_CLAUDE_TRANSCRIPT: transcript('interrupt-streaming'), FAKE_CLAUDE_ARGV: argvFile },
      { resumeSessionId: previous },
    );
    expect((await run.result).sessionId).toBe(previous);
    const { argv } = JSON.parse(await readFile(argvFile, 'utf8')) as { argv: string[] };
    expect(argv).toContain(`--resume=${previous}`);
    expect(argv.some((a) => a.startsWith('--session-id'))).toBe(false);
  });

  it('answers a person: the control response reaches the CLI and the turn completes', async () => {
    const { start, scratch } = await setup();
    const answers = path.join(scratch, 'answers.jsonl');
    const { run, until } = start({
      FAKE_CLAUDE_TRANSCRIPT: transcript('approve'),
      FAKE_CLAUDE_ANSWERS: answers,
    });
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_session' });
    expect((await run.result).status).toBe('completed');
    const reply = JSON.parse(await readFile(answers, 'utf8')) as {
      response: { request_id: string; response: Record<string, unknown> };
    };
    expect(reply.response.request_id).toBe(asked.requestId);
    expect(reply.response.response).toEqual({
      behavior: 'allow',
      updatedInput: { command: 'echo hi > out.txt', description: 'run it' },
      updatedPermissions: [
        {
          type: 'addRules',
          rules: [{ toolName: 'Bash', ruleContent: 'echo hi *' }],
          behavior: 'allow',
          destination: 'session',
        },
      ],
    });
  });

  it('survives hostile output: broken JSON, a 20 MB line, binary garbage, split lines, unknown types', async () => {
    const { start } = await setup();
    const { run, events } = start({
      FAKE_CLAUDE_TRANSCRIPT: transcript('interrupt-streaming'),
      FAKE_CLAUDE_HOSTILE: '1',
    });
    const result = await run.result;
    // interrupt-streaming ends in an aborted turn: the run reads it as interrupted, cleanly.
    expect(result).toMatchObject({ status: 'interrupted', error: null });
    const warnings = events.filter(ofType('warning')).map((w) => w.message);
    expect(warnings.filter((w) => w.startsWith('agent.bad_output'))).toHaveLength(4);
    expect(warnings.some((w) => w.includes('an over-long line was cut'))).toBe(true);
    // One warning per unknown type, however often it comes.
    expect(warnings.filter((w) => w.includes('"brand_new_thing"'))).toHaveLength(1);
    expect(events.filter(ofType('session.started'))).toHaveLength(1);
    // No warning carries the 20 MB line.
    expect(Math.max(...warnings.map((w) => w.length))).toBeLessThan(1000);
  });

  it('ends the turn on the result line, not the exit code (an interrupted CLI exits 1)', async () => {
    const { start } = await setup();
    const { run, until } = start({ FAKE_CLAUDE_TRANSCRIPT: transcript('approve'), FAKE_CLAUDE_EXIT: '1' });
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    expect(await run.result).toMatchObject({ status: 'completed', summary: 'Wrote out.txt.' });
  });

  it('stops a CLI that lingers after its turn ended, and keeps the completed turn', async () => {
    const { start } = await setup({ exitGraceMs: 200 });
    const { run, until, events } = start({
      FAKE_CLAUDE_TRANSCRIPT: transcript('approve'),
      FAKE_CLAUDE_LINGER: '1',
    });
    run.respond((await until(ofType('approval.requested'))).requestId, {
      kind: 'approval',
      decision: 'allow_once',
    });
    expect(await run.result).toMatchObject({ status: 'completed', summary: 'Wrote out.txt.' });
    expect(events.at(-1)).toMatchObject({ type: 'process.exited', signal: 'SIGTERM', sawTurnEnd: true });
  });
});
