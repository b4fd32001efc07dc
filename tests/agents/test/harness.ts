import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createClaudeCodeAgent,
  createGeminiAgent,
  type ClaudeCodeAgentOptions,
  type GeminiAgentOptions,
} from '@coord/runner-agents';
import type { AgentEvent, AgentPort, AgentRun, AgentRunInput } from '@coord/runner-core';
import { afterEach } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic, type FakeStep } from '../src/fake-anthropic.js';
import { startFakeGemini, type FakeGemini, type FakeGeminiStep } from '../src/fake-gemini.js';

/** node_modules/.bin of this package: where pnpm put the pinned `claude` shim. */
export const pinnedBin = fileURLToPath(new URL('../node_modules/.bin', import.meta.url));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface Harness {
  fake: FakeAnthropic;
  home: string;
  workDir: string;
  agent: AgentPort;
  start(overrides?: Partial<AgentRunInput>): Recorded;
}

export interface Recorded {
  run: AgentRun;
  events: AgentEvent[];
  until<T extends AgentEvent>(predicate: (e: AgentEvent) => e is T, ms?: number): Promise<T>;
}

/**
 * The real, pinned Claude Code CLI against a fake model API, with its own HOME (so its sessions
 * and settings are this test's only) and work directory. The runner environment it sees is
 * minimal: PATH to the pinned shim, HOME, and the fake's URL and a dummy key.
 */
export async function claudeHarness(
  steps: FakeStep[],
  options: ClaudeCodeAgentOptions = {},
): Promise<Harness> {
  const fake = await startFakeAnthropic(steps);
  cleanups.push(() => fake.close());
  const home = await tempDir('coord-claude-home-');
  const workDir = await tempDir('coord-claude-work-');
  const agent = createClaudeCodeAgent({
    termGraceMs: 2000,
    timeoutMs: 60_000,
    ...options,
    parentEnv: {
      PATH: `${pinnedBin}:/usr/bin:/bin`,
      HOME: home,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'sk-test-dummy-key',
      // A parent Claude Code session's markers must not leak into the agent.
      CLAUDECODE: '1',
      COORD_TOKEN: 'runner-secret-token',
    },
  });
  const detected = await agent.detect();
  if (detected.state !== 'detected')
    throw new Error(`the pinned Claude Code was not detected: ${JSON.stringify(detected)}`);
  return {
    fake,
    home,
    workDir,
    agent,
    start(overrides = {}) {
      const run = agent.start({
        jobId: 'job-1',
        attemptId: 'attempt-1',
        attemptNumber: 1,
        title: 'Test job',
        instructions: 'Do what the fake model says.',
        workDir,
        agent: { id: 'claude-code' },
        resumeSessionId: null,
        protectedPaths: [],
        env: {},
        ...overrides,
      });
      return record(run);
    },
  };
}

export function record(run: AgentRun): Recorded {
  const events: AgentEvent[] = [];
  const waiters: Array<() => void> = [];
  run.events$.subscribe((event) => {
    events.push(event);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    run,
    events,
    async until(predicate, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`no matching event in ${ms} ms; got ${events.map((e) => e.type).join(', ')}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

export const ofType =
  <K extends AgentEvent['type']>(
    type: K,
    extra: (e: Extract<AgentEvent, { type: K }>) => boolean = () => true,
  ) =>
  (e: AgentEvent): e is Extract<AgentEvent, { type: K }> =>
    e.type === type && extra(e as Extract<AgentEvent, { type: K }>);

export interface GeminiHarness {
  fake: FakeGemini;
  home: string;
  workDir: string;
  agent: AgentPort;
  start(overrides?: Partial<AgentRunInput>): Recorded;
}

/** The model the tests name, so the CLI skips its router's classifier call. */
export const geminiTestModel = 'gemini-2.5-flash';

/**
 * The real, pinned Gemini CLI (`--acp`) against a fake Gemini API, with its own HOME (its
 * sessions under ~/.gemini/tmp are this test's only) and work directory. The runner's environment
 * is minimal: PATH to the pinned shim, HOME, the fake's URL and a dummy key (in ACP mode 0.61
 * takes them from the environment: no settings file needed).
 */
export async function geminiHarness(
  steps: FakeGeminiStep[],
  options: GeminiAgentOptions = {},
): Promise<GeminiHarness> {
  const fake = await startFakeGemini(steps);
  cleanups.push(() => fake.close());
  const home = await tempDir('coord-gemini-home-');
  const workDir = await tempDir('coord-gemini-work-');
  const agent = createGeminiAgent({
    termGraceMs: 2000,
    timeoutMs: 60_000,
    model: geminiTestModel,
    ...options,
    parentEnv: {
      PATH: `${pinnedBin}:/usr/bin:/bin`,
      HOME: home,
      GOOGLE_GEMINI_BASE_URL: fake.url,
      GEMINI_API_KEY: 'gemini-test-dummy-key',
      COORD_TOKEN: 'runner-secret-token',
      ...options.parentEnv,
    },
  });
  const detected = await agent.detect();
  if (detected.state !== 'detected')
    throw new Error(`the pinned Gemini CLI was not detected: ${JSON.stringify(detected)}`);
  return {
    fake,
    home,
    workDir,
    agent,
    start(overrides = {}) {
      return record(
        agent.start({
          jobId: 'job-1',
          attemptId: 'attempt-1',
          attemptNumber: 1,
          title: 'Test job',
          instructions: 'Do what the fake model says.',
          workDir,
          agent: { id: 'gemini' },
          resumeSessionId: null,
          protectedPaths: [],
          env: {},
          ...overrides,
        }),
      );
    },
  };
}
