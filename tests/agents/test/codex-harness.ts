import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { createCodexAgent, type CodexAgentOptions, type CodexProvider } from '@coord/runner-agents';
import type { AgentRunInput } from '@coord/runner-core';
import { afterEach } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIStep } from '../src/fake-openai.js';
import { pinnedBin, record, tempDir, type Recorded } from './harness.js';

export { ofType } from './harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** Codex refuses to create its helper binaries under /tmp: its homes live under /var/tmp. */
export async function varTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join('/var/tmp', prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface CodexHarness {
  fake: FakeOpenAI;
  /** The user's own CODEX_HOME (where `codex login` keeps auth.json). */
  userHome: string;
  /** Where the adapter puts the per-job CODEX_HOMEs. */
  homes: string;
  workDir: string;
  start(overrides?: Partial<AgentRunInput>): Recorded;
}

export const fakeKey = 'sk-test-openai-dummy-key';

/**
 * The real, pinned Codex CLI against a fake Responses API, through a provider of the runner's
 * settings whose key is in an environment variable (never argv or config). The runner
 * environment it sees is minimal: PATH to the pinned shim, HOME, the key, and a runner secret
 * that must not reach the agent.
 */
export async function codexHarness(
  steps: FakeOpenAIStep[],
  options: CodexAgentOptions = {},
  providerOverrides: Partial<CodexProvider> = {},
): Promise<CodexHarness> {
  const fake = await startFakeOpenAI(steps);
  cleanups.push(() => fake.close());
  const userHome = await varTempDir('coord-codex-user-');
  const homes = await varTempDir('coord-codex-homes-');
  const workDir = await tempDir('coord-codex-work-');
  const agent = createCodexAgent({
    termGraceMs: 2000,
    timeoutMs: 60_000,
    homeBaseDir: homes,
    provider: {
      id: 'fake',
      baseUrl: fake.url,
      envKey: 'FAKE_OPENAI_KEY',
      requestMaxRetries: 0,
      streamMaxRetries: 0,
      ...providerOverrides,
    },
    ...options,
    parentEnv: {
      PATH: `${pinnedBin}:/usr/bin:/bin`,
      HOME: userHome,
      CODEX_HOME: userHome,
      FAKE_OPENAI_KEY: fakeKey,
      COORD_TOKEN: 'runner-secret-token',
      ...options.parentEnv,
    },
  });
  const detected = await agent.detect();
  if (detected.state !== 'detected')
    throw new Error(`the pinned Codex was not detected: ${JSON.stringify(detected)}`);
  return {
    fake,
    userHome,
    homes,
    workDir,
    start(overrides = {}) {
      return record(
        agent.start({
          // One job: a retry finds the thread in the same per-job CODEX_HOME.
          jobId: 'job-1',
          attemptId: 'attempt-1',
          attemptNumber: 1,
          title: 'Test job',
          instructions: 'Do what the fake model says.',
          workDir,
          agent: { id: 'codex', model: 'mock-model' },
          resumeSessionId: null,
          protectedPaths: [],
          env: {},
          ...overrides,
        }),
      );
    },
  };
}
