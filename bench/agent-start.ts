import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeAnthropic, type FakeAnthropic } from '@coord/agents-tests/fake-anthropic';
import { startLocalServer } from '@coord/local-server';
import { createClaudeCodeAgent } from '@coord/runner-agents';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
  type RunnerEvent,
} from '@coord/runner-core';
import { filter, firstValueFrom } from 'rxjs';

/**
 * How much the runner adds to an agent's own start: the time until Claude Code's first model
 * request reaches a fake API on 127.0.0.1, started by hand (`claude -p`) versus as a local job
 * (from the claim until that request: preparing the work dir, the prompt, the process, its
 * stream-json set-up). The median of `samples` runs each.
 */
export interface AgentStartResult {
  bench: 'agent-start';
  agent: 'claude-code';
  samples: number;
  bare_ms: number;
  runner_ms: number;
  ratio: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'coord-bench-start-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The env both starts get: a private HOME, the fake model API, a dummy key. */
const agentEnv = (home: string, fake: FakeAnthropic) => ({
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  HOME: home,
  ANTHROPIC_BASE_URL: fake.url,
  ANTHROPIC_API_KEY: 'sk-bench-dummy-key',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
});

const firstModelRequest = async (fake: FakeAnthropic) => {
  await fake.waitForModelRequests(1, 60_000);
  return fake.modelRequests()[0]!.receivedAt;
};

async function bareStart(program: string): Promise<number> {
  return withTemp(async (dir) => {
    const fake = await startFakeAnthropic([{ kind: 'text', text: 'done' }]);
    try {
      const started = performance.timeOrigin + performance.now();
      const child = spawn(program, ['-p', 'Say done.', '--output-format', 'stream-json', '--verbose'], {
        cwd: dir,
        env: agentEnv(path.join(dir, 'home'), fake),
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const reached = await firstModelRequest(fake);
      await exited;
      return reached - started;
    } finally {
      await fake.close();
    }
  });
}

async function runnerStart(): Promise<number> {
  return withTemp(async (dir) => {
    const fake = await startFakeAnthropic([{ kind: 'text', text: 'done' }]);
    const server = await startLocalServer({ dataDir: path.join(dir, 'server') });
    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const runner = createRunner({
      client,
      identity: {
        machineId: 'bench-start-machine',
        name: 'bench',
        platform: 'linux',
        arch: 'x64',
        version: 'bench',
      },
      agents: [createClaudeCodeAgent({ parentEnv: agentEnv(path.join(dir, 'home'), fake) })],
      local: createLocalWorkspaces({ root: path.join(dir, 'work') }),
      spool: createFileEventSpool(path.join(dir, 'spool')),
      timings: { claimWaitMs: 1_000 },
    });
    try {
      const claimed = firstValueFrom(
        runner.events$.pipe(
          filter((e): e is Extract<RunnerEvent, { type: 'job.claimed' }> => e.type === 'job.claimed'),
        ),
      );
      const finished = firstValueFrom(runner.events$.pipe(filter((e) => e.type === 'job.finished')));
      await runner.start();
      await client.submitJob('local', {
        title: 'Say done',
        instructions: 'Say done.',
        context: { type: 'local' },
        agent: { id: 'claude-code' },
        routing: { mode: 'any' },
      });
      const claim = await claimed;
      const reached = await firstModelRequest(fake);
      await finished;
      return reached - claim.at;
    } finally {
      await runner.stop();
      await server.close();
      await fake.close();
    }
  });
}

export async function measureAgentStart(options: { samples?: number } = {}): Promise<AgentStartResult> {
  const samples = options.samples ?? 5;
  const detected = await createClaudeCodeAgent().detect();
  if (detected.state !== 'detected' || !detected.path) {
    throw new Error(
      `Claude Code is not installed here (${detected.hint ?? detected.state}); pnpm install brings the pinned CLI.`,
    );
  }
  const bare: number[] = [];
  const viaRunner: number[] = [];
  // Interleaved, so a machine that gets busier part-way skews both alike.
  for (let i = 0; i < samples; i += 1) {
    bare.push(await bareStart(detected.path));
    viaRunner.push(await runnerStart());
  }
  const bareMs = median(bare);
  const runnerMs = median(viaRunner);
  return {
    bench: 'agent-start',
    agent: 'claude-code',
    samples,
    bare_ms: round(bareMs),
    runner_ms: round(runnerMs),
    ratio: Math.round((runnerMs / bareMs) * 1000) / 1000,
  };
}

export async function main(args: string[]): Promise<void> {
  const samples = Number(
    /^--samples=(\d+)$/.exec(args.find((a) => a.startsWith('--samples=')) ?? '')?.[1] ?? 5,
  );
  const result = await measureAgentStart({ samples });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
