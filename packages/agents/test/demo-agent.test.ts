import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseAgentEventLine } from '../src/events/parse-agent-event.js';
import { runAgentProcess } from '../src/process/run-agent-process.js';
import { demoAgent as agent, startDemo } from './demo-run.js';
import { ofType, record, tempDir } from './helpers.js';

describe('demo agent', () => {
  it('says it is a demo, writes files, runs a command, and completes with a summary', async () => {
    const { run, workDir, events, types } = await startDemo([
      { type: 'say', text: 'Starting.' },
      { type: 'write', path: 'docs/notes.md', content: '# Notes\n' },
      { type: 'run', command: [process.execPath, '-e', 'console.log(1)'] },
    ]);
    const result = await run.result;
    expect(types()).toEqual([
      'session.started',
      'message.completed',
      'message.completed',
      'tool.started',
      'tool.completed',
      'tool.started',
      'tool.output',
      'tool.completed',
      'usage',
      'turn.completed',
      'process.exited',
    ]);
    expect(events[0]).toMatchObject({ type: 'session.started', demo: true, resumed: false });
    expect(events[1]).toMatchObject({
      type: 'message.completed',
      text: expect.stringContaining('scripted demo'),
    });
    expect(events[3]).toMatchObject({ type: 'tool.started', kind: 'edit', name: 'write' });
    expect(events[5]).toMatchObject({
      type: 'tool.started',
      kind: 'shell',
      input: { command: [process.execPath, '-e', 'console.log(1)'] },
    });
    expect(events[6]).toMatchObject({ type: 'tool.output', stream: 'stdout', chunk: '1\n' });
    expect(events[7]).toMatchObject({ type: 'tool.completed', status: 'ok', exitCode: 0 });
    expect(await readFile(path.join(workDir, 'docs/notes.md'), 'utf8')).toBe('# Notes\n');

    expect(result.status).toBe('completed');
    expect(result.error).toBeNull();
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.summary).toContain('Demo agent (scripted, no AI)');
    expect(result.summary).toContain('wrote docs/notes.md');
    expect(result.summary).toContain('console.log(1)');
  });

  it('fails the turn when a command exits non-zero, naming the command and the code', async () => {
    const { run, workDir } = await startDemo([
      { type: 'run', command: [process.execPath, '-e', 'process.exit(3)'] },
      { type: 'write', path: 'never.txt', content: 'x' },
    ]);
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'agent.failed', retryable: false });
    expect(result.error?.message).toContain('process.exit(3)');
    expect(result.error?.message).toContain('exited with code 3');
    await expect(readFile(path.join(workDir, 'never.txt'))).rejects.toThrow();
  });

  it('fails clearly when a command does not exist', async () => {
    const { run } = await startDemo([{ type: 'run', command: ['no-such-command-xyz'] }]);
    expect((await run.result).error?.message).toContain('command not found: no-such-command-xyz');
  });

  it('refuses a .. path before starting (the plan is invalid), and a symlink escape in the process', async () => {
    const outside = await tempDir('coord-outside-');
    const traversal = await startDemo([{ type: 'write', path: '../escaped.txt', content: 'x' }]);
    const invalid = await traversal.run.result;
    expect(invalid.error).toMatchObject({ code: 'job.invalid_payload', retryable: false });
    expect(invalid.error?.message).toContain('inside the work directory (plan.0.path)');
    await expect(readFile(path.join(path.dirname(traversal.workDir), 'escaped.txt'))).rejects.toThrow();

    if (process.platform === 'win32') return;
    // The schema cannot see symlinks on disk: the demo process resolves them before writing.
    const workDir = await tempDir('coord-demo-');
    await symlink(outside, path.join(workDir, 'out'));
    const viaLink = await startDemo([{ type: 'write', path: 'out/escaped.txt', content: 'x' }], { workDir });
    const result = await viaLink.run.result;
    expect(result.error).toMatchObject({ code: 'agent.failed', retryable: false });
    expect(result.error?.message).toContain(
      'refused to write "out/escaped.txt": it is outside the work directory',
    );
    expect(viaLink.events.find((e) => e.type === 'tool.completed')).toMatchObject({ status: 'error' });
    await expect(readFile(path.join(outside, 'escaped.txt'))).rejects.toThrow();
  });

  it('resumes a session: same id, resumed true, and it still does every step', async () => {
    const sessionId = '6f1c2a4e-9d1b-4c1e-8a55-0e1f2d3c4b5a';
    const { run, until, workDir } = await startDemo([{ type: 'write', path: 'a.txt', content: 'a' }], {
      resumeSessionId: sessionId,
    });
    expect(await until(ofType('session.started'))).toMatchObject({ sessionId, resumed: true, demo: true });
    expect(await run.result).toMatchObject({ status: 'completed', sessionId });
    expect(await readFile(path.join(workDir, 'a.txt'), 'utf8')).toBe('a');
  });

  it('stops after the current step on interrupt, reporting interrupted with its session', async () => {
    const workDir = await tempDir('coord-demo-');
    const gate = path.join(workDir, 'gate');
    // The command waits for a file the test creates once the stop request was acknowledged.
    const waitForGate = `const fs=require('fs');const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(gate)})){clearInterval(t);console.log('through')}},10)`;
    const { run, until } = await startDemo(
      [
        { type: 'run', command: [process.execPath, '-e', waitForGate] },
        { type: 'write', path: 'after.txt', content: 'x' },
      ],
      { workDir },
    );
    await until(ofType('tool.started'));
    const stopping = run.interrupt(4000);
    await until(ofType('message.completed', (e) => e.text.startsWith('Stop requested')));
    await writeFile(gate, '');
    await stopping;
    const result = await run.result;
    expect(result.status).toBe('interrupted');
    expect(result.sessionId).not.toBeNull();
    expect(await until(ofType('tool.completed'))).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(await until(ofType('process.exited'))).toMatchObject({ code: 0, sawTurnEnd: true });
    await expect(readFile(path.join(workDir, 'after.txt'))).rejects.toThrow();
  });

  it.skipIf(process.platform === 'win32')(
    'also stops after the current step on SIGINT, exiting 0',
    async () => {
      const workDir = await tempDir('coord-demo-');
      const gate = path.join(workDir, 'gate');
      const waitForGate = `const fs=require('fs');const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(gate)})){clearInterval(t)}},10)`;
      const task = {
        type: 'task',
        title: 'SIGINT',
        instructions: '',
        resumeSessionId: null,
        plan: [
          { type: 'run', command: [process.execPath, '-e', waitForGate] },
          { type: 'say', text: 'never said' },
        ],
      };
      // No requestInterrupt: the driver's default graceful request is SIGINT to the agent alone.
      const run = runAgentProcess({
        agentId: 'demo',
        file: process.execPath,
        args: [inject('demoScript')],
        cwd: workDir,
        stdin: 'pipe',
        initialInput: [JSON.stringify(task)],
        parseLine: (line) => parseAgentEventLine(line),
      });
      const { until, events } = record(run);
      await until(ofType('tool.started'));
      const stopping = run.interrupt(4000);
      await until(ofType('message.completed', (e) => e.text.startsWith('Stop requested')));
      await writeFile(gate, '');
      await stopping;
      expect((await run.result).status).toBe('interrupted');
      expect(await until(ofType('process.exited'))).toMatchObject({
        code: 0,
        signal: null,
        sawTurnEnd: true,
      });
      expect(events.some((e) => e.type === 'message.completed' && e.text === 'never said')).toBe(false);
    },
  );

  it('rejects a missing plan without starting a process', async () => {
    const { run, types } = await startDemo([]);
    expect((await run.result).error).toMatchObject({ code: 'job.invalid_payload', retryable: false });
    expect(types()).toEqual(['process.exited']);
  });

  it('is labelled as a demo and detected with the package version', async () => {
    expect(agent.id).toBe('demo');
    expect(agent.displayName).toBe('Demo agent (scripted, no AI)');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await agent.detect()).toEqual({
      id: 'demo',
      state: 'detected',
      version: pkg.version,
      enabled: true,
    });
  });

  it('writes nested directories that do not exist yet', async () => {
    const workDir = await tempDir('coord-demo-');
    await mkdir(path.join(workDir, 'existing'));
    const { run } = await startDemo([{ type: 'write', path: 'existing/new/deep/file.txt', content: 'ok' }], {
      workDir,
    });
    expect((await run.result).status).toBe('completed');
    expect(await readFile(path.join(workDir, 'existing/new/deep/file.txt'), 'utf8')).toBe('ok');
  });

  it('reads a file for a read step, in the work dir or outside it', async () => {
    const outside = await tempDir('coord-outside-');
    await writeFile(path.join(outside, 'notes.txt'), 'outside notes\n');
    const workDir = await tempDir('coord-demo-');
    await writeFile(path.join(workDir, 'inside.txt'), 'inside\n');
    const { run, events } = await startDemo(
      [
        { type: 'read', path: 'inside.txt' },
        { type: 'read', path: path.join(outside, 'notes.txt') },
      ],
      { workDir, protectedPaths: [await tempDir('coord-state-')] },
    );
    expect((await run.result).status).toBe('completed');
    const completed = events.filter((e) => e.type === 'tool.completed');
    expect(completed).toMatchObject([
      { status: 'ok', output: 'inside\n' },
      { status: 'ok', output: 'outside notes\n' },
    ]);
    expect(events.find((e) => e.type === 'tool.started')).toMatchObject({ kind: 'read', name: 'read' });
  });

  it("refuses to read the runner's private state, also through a symlink in the work dir", async () => {
    const state = await tempDir('coord-state-');
    await writeFile(path.join(state, 'credentials'), 'coord_secret_token_value\n');
    const direct = await startDemo([{ type: 'read', path: path.join(state, 'credentials') }], {
      protectedPaths: [state],
    });
    const result = await direct.run.result;
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain("inside the runner's private state");
    expect(JSON.stringify(direct.events)).not.toContain('coord_secret_token_value');

    if (process.platform === 'win32') return;
    const workDir = await tempDir('coord-demo-');
    await symlink(state, path.join(workDir, 'state'));
    const viaLink = await startDemo([{ type: 'read', path: 'state/credentials' }], {
      workDir,
      protectedPaths: [state],
    });
    expect((await viaLink.run.result).error?.message).toContain("inside the runner's private state");
    expect(JSON.stringify(viaLink.events)).not.toContain('coord_secret_token_value');
  });

  it('still works in its own work dir when that lives inside the protected state dir', async () => {
    const state = await tempDir('coord-state-');
    const workDir = path.join(state, 'workspace', 'job-1');
    await mkdir(workDir, { recursive: true });
    const { run } = await startDemo(
      [
        { type: 'write', path: 'a.txt', content: 'a' },
        { type: 'read', path: 'a.txt' },
      ],
      { workDir, protectedPaths: [state] },
    );
    expect((await run.result).status).toBe('completed');
  });
});
