import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAgentEventLine } from '../src/events/parse-agent-event.js';
import { runAgentProcess } from '../src/process/run-agent-process.js';
import type { AgentProcessOptions, AgentProcessSpec } from '../src/process/types.js';
import { fixture, isGone, ofType, record, tempDir, waitUntilGone } from './helpers.js';

const posix = process.platform !== 'win32';
/** The fake agent's `pids <agent> <grandchild>` message. */
const pidsOf = (text: string): [number, number] => {
  const [, agent, grandchild] = text.split(' ');
  return [Number(agent), Number(grandchild)];
};

async function startFake(
  mode: string,
  flags: string[] = [],
  options: AgentProcessOptions = {},
  spec: Partial<AgentProcessSpec> = {},
) {
  const cwd = await tempDir();
  const run = runAgentProcess(
    {
      agentId: 'demo',
      file: process.execPath,
      args: [fixture('fake-agent.mjs'), mode, ...flags],
      cwd,
      stdin: 'ignore',
      parseLine: (line) => parseAgentEventLine(line),
      ...spec,
    },
    options,
  );
  return { run, cwd, ...record(run) };
}

describe('runAgentProcess', () => {
  it('completes on a turn end, with session, usage and final text, and ends events with process.exited', async () => {
    const { run, types } = await startFake('complete');
    const result = await run.result;
    expect(result).toEqual({
      status: 'completed',
      sessionId: 'fake-session',
      summary: 'fake done',
      usage: { inputTokens: 3, outputTokens: 4 },
      error: null,
    });
    expect(types()).toEqual([
      'session.started',
      'message.completed',
      'usage',
      'turn.completed',
      'process.exited',
    ]);
  });

  it('reports an exit without a turn end as agent.crashed (retryable) with the redacted stderr tail', async () => {
    const { run, events } = await startFake('crash');
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'agent.crashed',
      retryable: true,
      details: { exitCode: 1, signal: null },
    });
    expect(result.error?.message).toContain('exited with code 1');
    expect(result.error?.message).toContain('fatal: the fake agent broke');
    expect(result.error?.message).not.toContain('ghp_abcdefghijklmnop');
    expect(events.filter((e) => e.type === 'stderr')).toHaveLength(2);
    expect(events.at(-1)).toEqual({ type: 'process.exited', code: 1, signal: null, sawTurnEnd: false });
  });

  it('keeps a session id chosen up front when the agent dies before printing anything', async () => {
    const { run } = await startFake('silent-crash', [], {}, { sessionId: 'chosen-session' });
    const result = await run.result;
    expect(result).toMatchObject({ status: 'failed', sessionId: 'chosen-session' });
    expect(result.error?.code).toBe('agent.crashed');
  });

  it('lets a parser answer the agent on stdin (a control protocol)', async () => {
    const { run, events } = await startFake(
      'echo',
      [],
      {},
      {
        stdin: 'pipe',
        initialInput: ['ping'],
        parseLine: (line, _state, control) => {
          const parsed = parseAgentEventLine(line);
          if (parsed[0]?.type === 'message.completed' && parsed[0].text === 'ping') control.writeLine('bye');
          return parsed;
        },
      },
    );
    expect((await run.result).status).toBe('completed');
    expect(events.filter(ofType('message.completed')).map((e) => e.text)).toEqual(['ping', 'bye']);
  });

  it('maps a failed turn to agent.failed (not retryable)', async () => {
    const { run } = await startFake('fail-turn');
    const result = await run.result;
    expect(result.error).toMatchObject({ code: 'agent.failed', retryable: false });
    expect(result.error?.message).toContain('the model refused');
  });

  it('turns unparsable lines into agent.bad_output warnings and goes on', async () => {
    const { run, events } = await startFake('garbage');
    const result = await run.result;
    expect(result).toMatchObject({ status: 'completed', summary: 'done despite noise' });
    const warnings = events.filter((e) => e.type === 'warning');
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatchObject({ message: expect.stringContaining('agent.bad_output') });
    expect(warnings[0]).toMatchObject({ message: expect.stringContaining('Loading plugins...') });
  });

  it('fails with agent.bad_output and stops the agent after too many bad lines in a row', async () => {
    const { run } = await startFake('all-garbage', [], { maxConsecutiveBadLines: 5, termGraceMs: 500 });
    const result = await run.result;
    expect(result.error).toMatchObject({ code: 'agent.bad_output', retryable: false });
    expect(result.error?.message).toContain('5 unparsable lines');
  });

  it('handles an agent dying mid-line: a warning for the partial line, then agent.crashed', async () => {
    const { run, events } = await startFake('mid-line');
    const result = await run.result;
    expect(result.error).toMatchObject({ code: 'agent.crashed' });
    expect(result.sessionId).toBe('fake-session');
    expect(
      events.some(
        (e) => e.type === 'warning' && e.message.includes('"type":"message.completed","role":"assis'),
      ),
    ).toBe(true);
  });

  it('reports a missing program as agent.not_found, naming it', async () => {
    const { run, events } = await startFake('complete', [], {}, { file: 'no-such-agent-binary', args: [] });
    const result = await run.result;
    expect(result.error).toMatchObject({ code: 'agent.not_found', retryable: false });
    expect(result.error?.message).toContain('"no-such-agent-binary"');
    expect(events).toEqual([{ type: 'process.exited', code: null, signal: null, sawTurnEnd: false }]);
  });

  it('reports a missing work directory as agent.spawn_failed', async () => {
    const { run } = await startFake('complete', [], {}, { cwd: path.join(await tempDir(), 'gone') });
    expect((await run.result).error).toMatchObject({
      code: 'agent.spawn_failed',
      message: expect.stringContaining('work directory'),
    });
  });

  it.skipIf(!posix)(
    'reports a program whose interpreter is missing as agent.not_found, naming it',
    async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'broken-agent');
      await writeFile(file, '#!/nonexistent/interpreter\n');
      await chmod(file, 0o755);
      const { run } = await startFake('complete', [], {}, { file, args: [] });
      const result = await run.result;
      expect(result.error).toMatchObject({ code: 'agent.not_found', retryable: false });
      expect(result.error?.message).toContain(
        `"${file}" could not be started: it or its interpreter was not found`,
      );
    },
  );

  it('passes only the allowlisted environment plus the run env, never the runner secrets', async () => {
    const parentEnv = { ...process.env, COORD_TOKEN: 'coord-secret-123', GITHUB_TOKEN: 'gh-secret-456' };
    const { run, events } = await startFake('env', [], { parentEnv }, { env: { JOB_VAR: 'yes' } });
    await run.result;
    const printed = events.find((e) => e.type === 'message.completed');
    const seen = JSON.parse(printed?.type === 'message.completed' ? printed.text : '{}') as Record<
      string,
      string
    >;
    expect(seen.COORD_TOKEN).toBeUndefined();
    expect(seen.GITHUB_TOKEN).toBeUndefined();
    expect(seen.JOB_VAR).toBe('yes');
    expect(seen.PATH).toBe(process.env.PATH);
  });

  it('does not leak the real parent environment either', async () => {
    process.env.COORD_TOKEN_LEAK_CHECK = 'leak-me';
    try {
      const { run, events } = await startFake('env');
      await run.result;
      const printed = events.find((e) => e.type === 'message.completed');
      expect(printed?.type === 'message.completed' && printed.text).not.toContain('leak-me');
    } finally {
      delete process.env.COORD_TOKEN_LEAK_CHECK;
    }
  });

  it('interrupts gracefully with SIGINT when the agent honours it', async () => {
    const { run, until } = await startFake('hang');
    const hint = await until(ofType('message.completed', (e) => e.text.startsWith('pids ')));
    await run.interrupt(3000);
    const result = await run.result;
    expect(result.status).toBe('interrupted');
    const exited = await until(ofType('process.exited'));
    expect(exited).toMatchObject({ code: 0, sawTurnEnd: true });
    // The agent is done: what it left running in its group is gone too.
    if (posix) await waitUntilGone(pidsOf(hint.text)[1]);
  });

  it.skipIf(!posix)('escalates SIGINT -> SIGTERM -> SIGKILL and kills the whole process group', async () => {
    const { run, until } = await startFake('hang', ['ignore-int', 'ignore-term'], { termGraceMs: 300 });
    const hint = await until(ofType('message.completed', (e) => e.text.startsWith('pids ')));
    const [agent, grandchild] = pidsOf(hint.text);
    expect(await isGone(agent)).toBe(false);
    expect(await isGone(grandchild)).toBe(false);
    await run.interrupt(200);
    const result = await run.result;
    expect(result.status).toBe('interrupted');
    expect(await until(ofType('process.exited'))).toMatchObject({ signal: 'SIGKILL', sawTurnEnd: false });
    await waitUntilGone(agent);
    await waitUntilGone(grandchild);
  });

  it.skipIf(!posix)('stops at SIGTERM when the agent ignores only SIGINT', async () => {
    const { run, until } = await startFake('hang', ['ignore-int'], { termGraceMs: 2000 });
    await until(ofType('session.started'));
    await run.interrupt(200);
    expect(await until(ofType('process.exited'))).toMatchObject({ signal: 'SIGTERM' });
    expect((await run.result).status).toBe('interrupted');
  });

  it.skipIf(!posix)('kill() terminates the process group at once', async () => {
    const { run, until } = await startFake('hang', ['ignore-int', 'ignore-term']);
    const hint = await until(ofType('message.completed', (e) => e.text.startsWith('pids ')));
    run.kill();
    expect((await run.result).status).toBe('interrupted');
    expect(await until(ofType('process.exited'))).toMatchObject({ signal: 'SIGKILL' });
    for (const pid of pidsOf(hint.text)) await waitUntilGone(pid);
  });

  it.skipIf(process.platform !== 'linux')(
    'kills what the agent started outside its process group (a setsid dev server and its daemon) once the run ends',
    async () => {
      const { run, until } = await startFake('daemon');
      const hint = await until(ofType('message.completed', (e) => e.text.startsWith('pids ')));
      const [server, daemon] = pidsOf(hint.text);
      expect(await run.result).toMatchObject({ status: 'completed' });
      // Settled means swept: nothing of the run is left, without waiting.
      expect(await isGone(server)).toBe(true);
      expect(await isGone(daemon)).toBe(true);
    },
  );

  it('fails with agent.timeout (retryable) when the overall limit is reached', async () => {
    const { run } = await startFake('hang', [], { timeoutMs: 300, termGraceMs: 1000 });
    const result = await run.result;
    expect(result.error).toMatchObject({ code: 'agent.timeout', retryable: true });
  });

  it('gives a late subscriber the events emitted before it subscribed', async () => {
    const cwd = await tempDir();
    const run = runAgentProcess({
      agentId: 'demo',
      file: process.execPath,
      args: [fixture('fake-agent.mjs'), 'complete'],
      cwd,
      stdin: 'ignore',
      parseLine: (line) => parseAgentEventLine(line),
    });
    await run.result;
    const { types } = record(run);
    expect(types()).toEqual([
      'session.started',
      'message.completed',
      'usage',
      'turn.completed',
      'process.exited',
    ]);
  });
});
