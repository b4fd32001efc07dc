import { join } from 'node:path';
import { createDemoAgent } from '@coord/runner-agents';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
  type Runner,
  type RunnerEvent,
  type RunnerOptions,
} from '@coord/runner-core';
import { ReplaySubject } from 'rxjs';
import { onCleanup } from './cleanup.js';

/**
 * A runner in this process for one test, against `server`: the demo agent, local work trees in
 * `<dir>/work`, a file spool in `<dir>/runner/attempts`, quick claims and event batches (each of
 * them replaceable through `options`). Started; its events replayed to late subscribers; stopped
 * (`stopMode`) when the test is cleaned up.
 */
export async function startTestRunner(
  server: { url: string; token: string },
  dir: string,
  name: string,
  options: Partial<RunnerOptions> = {},
  stopMode?: 'drain' | 'graceful' | 'force',
): Promise<{ runner: Runner; events: ReplaySubject<RunnerEvent> }> {
  const runner = createRunner({
    client: createCoordClient({ baseUrl: server.url, token: server.token }),
    identity: { machineId: `machine-${name}`, name, platform: 'linux', arch: 'x64', version: 'test' },
    agents: [createDemoAgent()],
    local: createLocalWorkspaces({ root: join(dir, 'work') }),
    spool: createFileEventSpool(join(dir, 'runner', 'attempts')),
    timings: { claimWaitMs: 1_000 },
    eventBatch: { intervalMs: 20 },
    ...options,
  });
  const events = new ReplaySubject<RunnerEvent>();
  runner.events$.subscribe(events);
  onCleanup(() => runner.stop(stopMode ? { mode: stopMode } : undefined));
  await runner.start();
  return { runner, events };
}
