import type { AgentRunInput } from '@coord/runner-core';
import type { DemoStep } from '@coord/runner-protocol';
import { inject } from 'vitest';
import { createDemoAgent } from '../src/demo/create-demo-agent.js';
import { record, tempDir } from './helpers.js';

/** The demo agent, built fresh for the tests (global-setup). */
export const demoAgent = createDemoAgent({ scriptPath: inject('demoScript') });

/** Starts the built demo agent on a plan in a fresh work dir, recording its events. */
export async function startDemo(plan: DemoStep[], over: Partial<AgentRunInput> = {}) {
  const workDir = await tempDir('coord-demo-');
  const run = demoAgent.start({
    jobId: 'job-1',
    attemptId: 'attempt-1',
    attemptNumber: 1,
    title: 'Demo job',
    instructions: 'Follow the plan.',
    workDir,
    agent: { id: 'demo', plan },
    resumeSessionId: null,
    env: {},
    protectedPaths: [],
    ...over,
  });
  return { run, workDir, ...record(run) };
}
