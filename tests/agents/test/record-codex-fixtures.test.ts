import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { findCodexBinary } from '@coord/runner-agents';
import { describe, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAIStep } from '../src/fake-openai.js';
import { pinnedBin } from './harness.js';
import { varTempDir } from './codex-harness.js';

/**
 * Records what the pinned Codex prints for each scenario into the adapter's unit-test fixtures
 * (packages/agents/test/fixtures/codex-<version>/). Off unless RECORD_CODEX_FIXTURES=1: run it
 * after bumping the pin, then check the adapter's unit tests against the new transcripts. It
 * drives the raw JSON-RPC itself (in the order the adapter does: initialize = 1, thread = 2,
 * turn/start = 3, turn/interrupt = 4), so the fixtures show the CLI, not our adapter.
 */
const enabled = process.env.RECORD_CODEX_FIXTURES === '1';
const version = '0.171.0';
const outDir = fileURLToPath(
  new URL(`../../../packages/agents/test/fixtures/codex-${version}/`, import.meta.url),
);
/** A fixed work directory, so the fixtures' paths are the same on every recording. */
export const fixtureWorkDir = '/var/tmp/coord-codex-fixture-work';

type OnRequest = (method: string, params: Record<string, unknown>) => unknown | 'interrupt';

interface Scenario {
  name: string;
  steps: FakeOpenAIStep[];
  onRequest?: OnRequest;
  interruptStreaming?: boolean;
  resumeUnknown?: boolean;
}

const decide =
  (decision: string): OnRequest =>
  () => ({ decision });
const exec = (cmd: string): FakeOpenAIStep => ({ kind: 'tool', name: 'exec_command', arguments: { cmd } });
const scenarios: Scenario[] = [
  {
    name: 'approve',
    steps: [exec('echo hi > out.txt'), { kind: 'text', text: 'Wrote out.txt.' }],
    onRequest: decide('accept'),
  },
  {
    name: 'deny',
    steps: [exec('rm -rf build'), { kind: 'text', text: 'I left it alone.' }],
    onRequest: decide('decline'),
  },
  {
    name: 'patch',
    steps: [
      exec("apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: notes.md\n+# Notes\n*** End Patch\nEOF\n"),
      { kind: 'text', text: 'Wrote the notes.' },
    ],
    onRequest: decide('accept'),
  },
  {
    name: 'question',
    steps: [
      {
        kind: 'question',
        questions: [
          {
            id: 'database',
            header: 'DB',
            question: 'Which database?',
            options: [
              { label: 'Postgres', description: 'server' },
              { label: 'SQLite', description: 'file' },
            ],
          },
        ],
      },
      { kind: 'text', text: 'SQLite it is.' },
    ],
    onRequest: () => ({ answers: { database: { answers: ['SQLite'] } } }),
  },
  { name: 'interrupt-approval', steps: [exec('touch x.txt')], onRequest: () => 'interrupt' },
  { name: 'interrupt-streaming', steps: [{ kind: 'hang' }], interruptStreaming: true },
  { name: 'resume-rejected', steps: [], resumeUnknown: true },
  { name: 'stream-died', steps: [{ kind: 'die' }] },
];

async function record(binary: string, scenario: Scenario): Promise<void> {
  const fake = await startFakeOpenAI(scenario.steps);
  const home = await varTempDir('coord-codex-rec-home-');
  await rm(fixtureWorkDir, { recursive: true, force: true });
  await mkdir(fixtureWorkDir, { recursive: true });
  await writeFile(
    `${home}/config.toml`,
    [
      'model_provider = "fake"',
      'suppress_unstable_features_warning = true',
      '[features]',
      'default_mode_request_user_input = true',
      '[model_providers.fake]',
      'name = "fake"',
      `base_url = "${fake.url}"`,
      'wire_api = "responses"',
      'env_key = "FAKE_OPENAI_KEY"',
      'supports_websockets = false',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['app-server'], {
    cwd: fixtureWorkDir,
    env: { PATH: '/usr/bin:/bin', HOME: home, CODEX_HOME: home, FAKE_OPENAI_KEY: 'sk-fake' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const lines: string[] = [];
  const send = (value: unknown) => child.stdin.write(`${JSON.stringify(value)}\n`);
  let threadId = '';
  let turnId = '';
  const interrupt = () => send({ method: 'turn/interrupt', id: 4, params: { threadId, turnId } });
  send({
    method: 'initialize',
    id: 1,
    params: {
      clientInfo: { name: 'coord_runner', title: 'Coord Runner', version: '0.1.0' },
      capabilities: null,
    },
  });
  send({ method: 'initialized' });
  const threadParams = {
    cwd: fixtureWorkDir,
    approvalPolicy: 'untrusted',
    sandbox: 'workspace-write',
    model: 'mock-model',
  };
  send(
    scenario.resumeUnknown
      ? {
          method: 'thread/resume',
          id: 2,
          params: { threadId: '01a23077-8258-7570-9bc4-d000e899537d', ...threadParams },
        }
      : { method: 'thread/start', id: 2, params: threadParams },
  );
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      lines.push(line);
      const message = JSON.parse(line) as {
        id?: number;
        method?: string;
        params?: Record<string, unknown>;
        result?: { thread: { id: string }; turn: { id: string } };
        error?: unknown;
      };
      if (message.id === 2 && message.result) {
        threadId = message.result.thread.id;
        send({
          method: 'turn/start',
          id: 3,
          params: { threadId, input: [{ type: 'text', text: 'Do the task.', text_elements: [] }] },
        });
      }
      if (message.id === 2 && message.error) child.stdin.end();
      if (message.id === 3 && message.result) turnId = message.result.turn.id;
      if (message.method && message.id !== undefined) {
        const answer = scenario.onRequest?.(message.method, message.params ?? {});
        if (answer === 'interrupt') interrupt();
        else send({ id: message.id, result: answer ?? { decision: 'decline' } });
      }
      if (message.method === 'turn/completed') child.stdin.end();
    }
  });
  if (scenario.interruptStreaming) {
    await fake.waitForModelRequests(1);
    while (!turnId) await new Promise((resolve) => setTimeout(resolve, 20));
    interrupt();
  }
  await new Promise((resolve) => child.once('exit', resolve));
  await fake.close();
  await writeFile(`${outDir}${scenario.name}.jsonl`, lines.map((l) => `${l}\n`).join(''));
}

describe.skipIf(!enabled)('record Codex transcripts', () => {
  it(`records the ${version} fixtures`, { timeout: 120_000 }, async () => {
    const binary = await findCodexBinary({ env: { PATH: pinnedBin } });
    if (!binary) throw new Error('the pinned Codex was not found');
    await mkdir(outDir, { recursive: true });
    for (const scenario of scenarios) await record(binary, scenario);
    await rm(fixtureWorkDir, { recursive: true, force: true });
  });
});
