import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { findClaudeBinary } from '@coord/runner-agents';
import { describe, it } from 'vitest';
import { startFakeAnthropic, type FakeStep } from '../src/fake-anthropic.js';
import { pinnedBin, tempDir } from './harness.js';

/**
 * Records what the pinned CLI prints for each scenario into the adapter's unit-test fixtures
 * (packages/agents/test/fixtures/claude-code-<version>/). Off unless RECORD_CLAUDE_FIXTURES=1:
 * run it after bumping the pin, then check the adapter's unit tests against the new transcripts
 * (RECORD_CLAUDE_ONLY=<names> records only those scenarios).
 * It drives the raw protocol itself, so the fixtures show the CLI, not our adapter.
 */
const enabled = process.env.RECORD_CLAUDE_FIXTURES === '1';
const version = '2.1.332';
const outDir = fileURLToPath(
  new URL(`../../../packages/agents/test/fixtures/claude-code-${version}/`, import.meta.url),
);

type Reply = (message: { request_id: string; request: { input: Record<string, unknown> } }) => unknown;
const allow: Reply = (m) => ({
  type: 'control_response',
  response: {
    subtype: 'success',
    request_id: m.request_id,
    response: { behavior: 'allow', updatedInput: m.request.input },
  },
});
const deny: Reply = (m) => ({
  type: 'control_response',
  response: {
    subtype: 'success',
    request_id: m.request_id,
    response: { behavior: 'deny', message: 'Denied: not in this repository' },
  },
});
const answer: Reply = (m) => ({
  type: 'control_response',
  response: {
    subtype: 'success',
    request_id: m.request_id,
    response: {
      behavior: 'allow',
      updatedInput: { ...m.request.input, answers: { 'Which database?': 'SQLite' } },
    },
  },
});
const interrupt = { type: 'control_request', request_id: 'interrupt-1', request: { subtype: 'interrupt' } };

interface Scenario {
  name: string;
  steps: FakeStep[];
  onPermission?: Reply | 'interrupt';
  /** Interrupt once the first model call is under way. */
  interruptStreaming?: boolean;
  resumeUnknown?: boolean;
  /** `--include-partial-messages`: the model's stream comes through as `stream_event` lines. */
  partialMessages?: boolean;
}

const bash = (command: string): FakeStep => ({
  kind: 'tool',
  name: 'Bash',
  input: { command, description: 'run it' },
});
const scenarios: Scenario[] = [
  {
    name: 'approve',
    steps: [bash('echo hi > out.txt'), { kind: 'text', text: 'Wrote out.txt.' }],
    onPermission: allow,
  },
  {
    name: 'deny',
    steps: [bash('rm -rf build'), { kind: 'text', text: 'I left it alone.' }],
    onPermission: deny,
  },
  {
    name: 'question',
    steps: [
      {
        kind: 'question',
        questions: [
          {
            question: 'Which database?',
            header: 'DB',
            options: [
              { label: 'Postgres', description: 'server' },
              { label: 'SQLite', description: 'file' },
            ],
            multiSelect: false,
          },
        ],
      },
      { kind: 'text', text: 'SQLite it is.' },
    ],
    onPermission: answer,
  },
  { name: 'interrupt-approval', steps: [bash('touch x.txt')], onPermission: 'interrupt' },
  { name: 'interrupt-streaming', steps: [{ kind: 'hang' }], interruptStreaming: true },
  { name: 'resume-rejected', steps: [], resumeUnknown: true },
  {
    // The line mix of a long, chatty turn (what `pnpm bench events` replays): a command, its
    // output, then an answer streamed word by word.
    name: 'partial-messages',
    steps: [
      bash('ls -la'),
      {
        kind: 'text',
        words: true,
        text: 'The directory holds the files the task needs. Next, I will read the build script, check which steps run on every commit, and then change the test command so it runs only the packages a change touches.',
      },
    ],
    onPermission: allow,
    partialMessages: true,
  },
  {
    name: 'api-error',
    steps: [{ kind: 'error', status: 404, type: 'not_found_error', message: 'model: claude-nope' }],
  },
];

async function record(binary: string, scenario: Scenario): Promise<void> {
  const fake = await startFakeAnthropic(scenario.steps);
  const home = await tempDir('coord-claude-rec-home-');
  const work = await tempDir('coord-claude-rec-work-');
  const session = randomUUID();
  const child = spawn(
    binary,
    [
      '-p',
      '--input-format=stream-json',
      '--output-format=stream-json',
      '--verbose',
      '--permission-prompt-tool=stdio',
      '--permission-mode=default',
      ...(scenario.partialMessages ? ['--include-partial-messages'] : []),
      scenario.resumeUnknown ? `--resume=${session}` : `--session-id=${session}`,
    ],
    {
      cwd: work,
      env: {
        PATH: '/usr/bin:/bin',
        HOME: home,
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_API_KEY: 'sk-test-dummy-key',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const send = (value: unknown) => child.stdin.write(`${JSON.stringify(value)}\n`);
  send({
    type: 'user',
    message: { role: 'user', content: 'Do the task.' },
    parent_tool_use_id: null,
    session_id: 'default',
  });
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      lines.push(line);
      const message = JSON.parse(line) as {
        type: string;
        request_id: string;
        request: { subtype: string; input: Record<string, unknown> };
      };
      if (message.type === 'control_request' && message.request.subtype === 'can_use_tool') {
        send(scenario.onPermission === 'interrupt' ? interrupt : (scenario.onPermission ?? deny)(message));
      }
      if (message.type === 'result') child.stdin.end();
    }
  });
  if (scenario.interruptStreaming) {
    await fake.waitForModelRequests(1);
    send(interrupt);
  }
  await new Promise((resolve) => child.once('exit', resolve));
  await fake.close();
  await writeFile(`${outDir}${scenario.name}.jsonl`, lines.map((l) => `${l}\n`).join(''));
}

describe.skipIf(!enabled)('record Claude Code transcripts', () => {
  it(`records the ${version} fixtures`, { timeout: 120_000 }, async () => {
    const binary = await findClaudeBinary({ env: { PATH: pinnedBin } });
    if (!binary) throw new Error('the pinned Claude Code was not found');
    await mkdir(outDir, { recursive: true });
    // RECORD_CLAUDE_ONLY=a,b records just those, leaving the other transcripts as they are.
    const only = process.env.RECORD_CLAUDE_ONLY?.split(',');
    for (const scenario of scenarios)
      if (!only || only.includes(scenario.name)) await record(binary, scenario);
  });
});
