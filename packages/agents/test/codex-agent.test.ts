import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentRunInput } from '@coord/runner-core';
import { describe, expect, it } from 'vitest';
import { createCodexAgent, type CodexAgentOptions } from '../src/codex/codex-agent.js';
import { fixture, ofType, record, tempDir } from './helpers.js';

// The whole adapter (detection, CODEX_HOME, env, driver, JSON-RPC, parser, answers) against a
// stand-in app-server that replays the recorded transcripts: fast, offline, and able to
// misbehave on purpose.

const posix = process.platform !== 'win32';
const transcript = (name: string) => fixture(`codex-0.171.0/${name}.jsonl`);

/** A line the adapter wrote (the fields the tests read; `params.input` only on turn/start). */
interface SentLine {
  id?: number | string;
  method?: string;
  params: { input: Array<{ type: string; text: string }> } & Record<string, unknown>;
  result?: unknown;
}

async function fakeCodex(): Promise<string> {
  const dir = await tempDir();
  const file = path.join(dir, 'codex');
  const source = await readFile(fixture('fake-codex.mjs'), 'utf8');
  await writeFile(file, source.replace(/^#!.*\n/, `#!${process.execPath}\n`));
  await chmod(file, 0o755);
  return file;
}

async function setup(options: CodexAgentOptions = {}, parentEnv: NodeJS.ProcessEnv = {}) {
  const program = await fakeCodex();
  const workDir = await tempDir();
  const scratch = await tempDir();
  const agent = createCodexAgent({
    homeBaseDir: path.join(scratch, 'homes'),
    ...options,
    detect: { configuredPath: program },
    parentEnv: { PATH: '/usr/bin:/bin', HOME: scratch, ...parentEnv },
  });
  const detected = await agent.detect();
  const stdinFile = path.join(scratch, 'stdin.jsonl');
  const sent = async () =>
    (await readFile(stdinFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SentLine);
  const start = (
    name: string,
    extraEnv: Record<string, string> = {},
    overrides: Partial<AgentRunInput> = {},
  ) => {
    const run = agent.start({
      jobId: 'job-1',
      attemptId: 'attempt-1',
      attemptNumber: 1,
      title: 'Fix the bug',
      instructions: 'The tests fail.',
      workDir,
      agent: { id: 'codex' },
      resumeSessionId: null,
      protectedPaths: [],
      env: { FAKE_CODEX_TRANSCRIPT: transcript(name), FAKE_CODEX_STDIN: stdinFile, ...extraEnv },
      ...overrides,
    });
    return { run, ...record(run) };
  };
  return { detected, program, start, sent, workDir, scratch, argvFile: path.join(scratch, 'argv.json') };
}

describe.skipIf(!posix)('Codex adapter on recorded transcripts', () => {
  it('detects a configured program and reports its version', async () => {
    const { detected, program } = await setup();
    expect(detected).toEqual({
      id: 'codex',
      state: 'detected',
      version: '0.171.0',
      enabled: true,
      path: program,
    });
  });

  it('starts app-server with a per-job CODEX_HOME, the key only in its environment, and the prompt over JSON-RPC', async () => {
    const { start, sent, argvFile, workDir } = await setup(
      { provider: { id: 'gw', baseUrl: 'http://127.0.0.1:9/v1', envKey: 'GW_KEY' } },
      { GW_KEY: 'sk-gateway-secret-123', OPENAI_API_KEY: 'sk-openai-secret-456', COORD_TOKEN: 'runner-only' },
    );
    const { run, until, events } = start('approve', { FAKE_CODEX_ARGV: argvFile });
    const asked = await until(ofType('approval.requested'));
    run.respond(asked.requestId, { kind: 'approval', decision: 'allow_once' });
    expect((await run.result).status).toBe('completed');

    const { argv, env } = JSON.parse(await readFile(argvFile, 'utf8')) as {
      argv: string[];
      env: Record<string, string>;
    };
    expect(argv).toEqual(['app-server']);
    expect(env).toMatchObject({ GW_KEY: 'sk-gateway-secret-123', OPENAI_API_KEY: 'sk-openai-secret-456' });
    expect(env).not.toHaveProperty('COORD_TOKEN');
    const toml = await readFile(path.join(env.CODEX_HOME!, 'config.toml'), 'utf8');
    expect(toml).toContain('env_key = "GW_KEY"');
    expect(toml).not.toContain('sk-gateway-secret-123');
    expect(JSON.stringify(events)).not.toContain('sk-gateway-secret-123');

    const lines = await sent();
    expect(lines.slice(0, 3)).toEqual([
      {
        id: 1,
        method: 'initialize',
        params: { clientInfo: expect.objectContaining({ name: 'coord_runner' }), capabilities: null },
      },
      { method: 'initialized' },
      {
        id: 2,
        method: 'thread/start',
        params: { cwd: workDir, approvalPolicy: 'untrusted', sandbox: 'workspace-write' },
      },
    ]);
    expect(lines[3]).toMatchObject({ id: 3, method: 'turn/start', params: { input: [{ type: 'text' }] } });
    expect(lines[3]!.params.input[0]!.text).toContain('The tests fail.');
    // The answer went back under the id of Codex's request.
    expect(lines[4]).toEqual({ id: 0, result: { decision: 'accept' } });
  });

  it('resumes a thread with thread/resume and a continue prompt', async () => {
    const { start, sent } = await setup();
    const previous = '01a2307d-0000-7000-8000-000000000000';
    const { run, until } = start('interrupt-streaming', {}, { resumeSessionId: previous });
    await until(ofType('session.started'));
    await run.interrupt(5000);
    expect(await run.result).toMatchObject({ status: 'interrupted' });
    const lines = await sent();
    expect(lines[2]).toMatchObject({ id: 2, method: 'thread/resume', params: { threadId: previous } });
    expect(lines[3]!.params.input[0]!.text).toContain('Continue where you left off');
    expect(lines[4]).toMatchObject({ id: 4, method: 'turn/interrupt' });
  });

  it('allows for the session with the exec-policy amendment Codex offers', async () => {
    const { start, sent } = await setup();
    const { run, until } = start('approve');
    run.respond((await until(ofType('approval.requested'))).requestId, {
      kind: 'approval',
      decision: 'allow_session',
    });
    await run.result;
    expect((await sent())[4]).toEqual({
      id: 0,
      result: {
        decision: {
          acceptWithExecpolicyAmendment: { execpolicy_amendment: ['/bin/bash', '-lc', 'echo hi > out.txt'] },
        },
      },
    });
  });

  it('survives hostile output: broken JSON, a 20 MB line, binary garbage, split lines, unknown methods', async () => {
    const { start, sent } = await setup();
    const { run, until, events } = start('approve', { FAKE_CODEX_HOSTILE: '1' });
    run.respond((await until(ofType('approval.requested'))).requestId, {
      kind: 'approval',
      decision: 'allow_once',
    });
    const result = await run.result;
    expect(result).toMatchObject({ status: 'completed', summary: 'Wrote out.txt.', error: null });
    const warnings = events.filter(ofType('warning')).map((w) => w.message);
    expect(warnings.filter((w) => w.startsWith('agent.bad_output'))).toHaveLength(4);
    expect(warnings.some((w) => w.includes('an over-long line was cut'))).toBe(true);
    // One warning per unknown method, however often it comes; a newer request is refused.
    expect(warnings.filter((w) => w.includes('"brand/new/thing"'))).toHaveLength(1);
    expect((await sent()).find((l) => l.id === 'srv-1')).toEqual({
      id: 'srv-1',
      error: { code: -32601, message: 'unsupported by this client: brand/new/request' },
    });
    expect(events.filter(ofType('session.started'))).toHaveLength(1);
    expect(Math.max(...warnings.map((w) => w.length))).toBeLessThan(1000);
  });

  it('falls back to a fresh thread when thread/resume is rejected', async () => {
    const { start, sent } = await setup();
    const previous = '01a23077-8258-7570-9bc4-d000e899537d';
    // Both processes replay the rejection, so the fresh thread's thread/start is refused too:
    // the run fails cleanly with Codex's reason, after asking for a fresh thread.
    const { run, events } = start('resume-rejected', {}, { resumeSessionId: previous });
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('no rollout found');
    expect(events.some((e) => e.type === 'warning' && e.message.includes('fresh Codex thread'))).toBe(true);
    const starts = (await sent()).filter((l) => l.method === 'thread/start' || l.method === 'thread/resume');
    expect(starts.map((l) => l.method)).toEqual(['thread/resume', 'thread/start']);
  });
});
