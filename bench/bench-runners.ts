import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createCoordClient,
  createLocalWorkspaces,
  createMemoryEventSpool,
  createRunner,
  type Runner,
  type RunnerEvent,
} from '@coord/runner-core';
import { createInstantAgent } from './instant-agent.js';

/**
 * `count` started runners with the instant agent against one server, in this process, and when
 * each of them claimed which job (more than one time per job is a double claim).
 */
export async function startBenchRunners(options: {
  server: { url: string; token: string };
  root: string;
  count: number;
  onEvent?: (event: RunnerEvent) => void;
}): Promise<{ runners: Runner[]; claimedAt: Map<string, number[]> }> {
  const runners: Runner[] = [];
  const claimedAt = new Map<string, number[]>();
  for (let i = 0; i < options.count; i++) {
    const runner = createRunner({
      client: createCoordClient({ baseUrl: options.server.url, token: options.server.token }),
      identity: {
        machineId: `bench-machine-${i}`,
        name: `bench-${i}`,
        platform: 'linux',
        arch: 'x64',
        version: 'bench',
      },
      agents: [createInstantAgent()],
      local: createLocalWorkspaces({ root: join(options.root, `runner-${i}`) }),
      spool: createMemoryEventSpool(),
    });
    runner.events$.subscribe((event) => {
      if (event.type === 'job.claimed') {
        const list = claimedAt.get(event.jobId) ?? [];
        list.push(performance.now());
        claimedAt.set(event.jobId, list);
      }
      options.onEvent?.(event);
    });
    await runner.start();
    runners.push(runner);
  }
  return { runners, claimedAt };
}
