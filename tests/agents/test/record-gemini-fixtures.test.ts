import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { startFakeGemini, type FakeGeminiStep } from '../src/fake-gemini.js';
import { geminiTestModel, tempDir } from './harness.js';

/**
 * Records the ACP conversation with the pinned CLI for each scenario into the adapter's
 * unit-test fixtures (packages/agents/test/fixtures/gemini-<version>/): one JSON line per
 * message, `{"from":"agent"|"client","msg":…}`. Off unless RECORD_GEMINI_FIXTURES=1: run it
 * after bumping the pin, then run the adapter's transcript tests. It speaks raw JSON-RPC itself,
 * so the fixtures show the CLI, not our adapter. Command lists and temp paths are left out.
 */
const enabled = process.env.RECORD_GEMINI_FIXTURES === '1';
const version = '0.61.0';
const outDir = fileURLToPath(
  new URL(`../../../packages/agents/test/fixtures/gemini-${version}/`, import.meta.url),
);
const script = fileURLToPath(new URL('../node_modules/@google/gemini-cli/bundle/gemini.js', import.meta.url));

type Permission = 'allow_once' | 'reject_once' | 'cancel';

async function recordScenario(name: string, steps: FakeGeminiStep[], permission: Permission): Promise<void> {
  const fake = await startFakeGemini(steps);
  const home = await tempDir('coord-gemini-rec-home-');
  const workDir = await tempDir('coord-gemini-rec-work-');
  const child = spawn(process.execPath, [script, '--acp', `--model=${geminiTestModel}`], {
    cwd: workDir,
    env: {
      PATH: '/usr/bin:/bin',
      HOME: home,
      GEMINI_API_KEY: 'dummy',
      GOOGLE_GEMINI_BASE_URL: fake.url,
      GEMINI_CLI_NO_RELAUNCH: 'true',
      GEMINI_CLI_TRUST_WORKSPACE: 'false',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const transcript: string[] = [];
  const scrub = (text: string) => text.split(workDir).join('/work').split(home).join('/home');
  const log = (from: 'agent' | 'client', msg: unknown) => {
    const m = msg as { method?: string; params?: { update?: { sessionUpdate?: string } } };
    if (m.params?.update?.sessionUpdate === 'available_commands_update') return;
    transcript.push(scrub(JSON.stringify({ from, msg })));
  };
  let nextId = 1;
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  const send = (msg: Record<string, unknown>) => {
    log('client', msg);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  };
  const request = (method: string, params: unknown) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      send({ id, method, params });
    });
  let sessionId = '';
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const msg = JSON.parse(line) as Record<string, unknown> & {
        id?: number;
        method?: string;
        params?: { options: Array<{ optionId: string; kind: string }> };
      };
      log('agent', msg);
      if (msg.method === 'session/request_permission') {
        if (permission === 'cancel') {
          send({ method: 'session/cancel', params: { sessionId } });
          send({ id: msg.id, result: { outcome: { outcome: 'cancelled' } } });
        } else {
          const option = msg.params!.options.find((o) => o.kind === permission)!;
          send({ id: msg.id, result: { outcome: { outcome: 'selected', optionId: option.optionId } } });
        }
      } else if (msg.id !== undefined && !msg.method) {
        waiting.get(msg.id)?.(msg);
      }
    }
  });
  await request('initialize', {
    protocolVersion: 1,
    clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
    clientInfo: { name: 'coord-runner', version: '0.1.0' },
  });
  const created = await request('session/new', { cwd: workDir, mcpServers: [] });
  sessionId = (created.result as { sessionId: string }).sessionId;
  await request('session/prompt', {
    sessionId,
    prompt: [{ type: 'text', text: 'Do what the fake model says.' }],
  });
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  await fake.close();
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, `${name}.jsonl`), `${transcript.join('\n')}\n`);
}

describe.runIf(enabled)(`record Gemini CLI ${version} ACP fixtures`, () => {
  const shell = (command: string): FakeGeminiStep => ({
    kind: 'tool',
    name: 'run_shell_command',
    args: { command },
  });
  it('approve', () =>
    recordScenario(
      'approve',
      [shell('echo approved > out.txt'), { kind: 'text', text: 'Wrote out.txt.' }],
      'allow_once',
    ));
  it('deny', () =>
    recordScenario(
      'deny',
      [shell('echo nope > denied.txt'), { kind: 'text', text: 'I did not run it.' }],
      'reject_once',
    ));
  it('interrupt-approval', () => recordScenario('interrupt-approval', [shell('sleep 30')], 'cancel'));
});
