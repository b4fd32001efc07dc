import { join } from 'node:path';
import { createControlService, createFileEventSpool, createFileHistoryStore } from '@coord/runner-core';
import { composeRunner } from '../compose.js';
import { agentSettings, readConfig } from '../config.js';
import { resolveConnection } from '../connection.js';
import { openControlEndpoint, type ControlEndpoint } from '../control/control-server.js';
import { followRunner } from '../follow.js';
import { historyFile } from '../state-dir.js';
import { CLI_VERSION } from '../version.js';
import type { StartFlags } from './start.js';

/** `coord-runner start`: loaded only when it runs. */
export async function start(opts: StartFlags): Promise<void> {
  const { server, token, stateDir } = resolveConnection(opts);
  // Before anything else: a second runner on this state dir must not register at all.
  const endpoint = await openControlEndpoint(stateDir);
  try {
    process.exitCode = await run(opts, { server, token, stateDir }, endpoint);
  } finally {
    await endpoint.close();
  }
}

async function run(
  opts: StartFlags,
  { server, token, stateDir }: { server: string; token: string; stateDir: string },
  endpoint: ControlEndpoint,
): Promise<number> {
  const config = readConfig(stateDir);
  const spool = createFileEventSpool(join(stateDir, 'attempts'));
  const runner = composeRunner({
    ...agentSettings(config, (message) => process.stderr.write(`config.json: ${message}\n`)),
    server,
    token,
    stateDir,
    ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}),
    ...(opts.workspaceDir ? { workspaceDir: opts.workspaceDir } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    capacity: opts.capacity,
    keepWorkTrees: opts.keepWorkTrees ?? false,
    ...(opts.forgeRetryFor ? { forgeRetryForMs: opts.forgeRetryFor * 1000 } : {}),
    permissions: { mode: opts.permissionMode },
    spool,
  });
  let stopAsked = false;
  const warn = (error: unknown) =>
    process.stderr.write(`coord-runner: ${error instanceof Error ? error.message : String(error)}\n`);
  endpoint.serve(
    createControlService({
      runner,
      spool,
      history: createFileHistoryStore(historyFile(stateDir), {
        ...(config.history?.maxEntries ? { maxEntries: config.history.maxEntries } : {}),
        ...(config.history?.maxAgeDays ? { maxAgeMs: config.history.maxAgeDays * 86_400_000 } : {}),
      }),
      server,
      capacity: opts.capacity,
      runnerVersion: CLI_VERSION,
      stateDir,
      handlers: {
        onStop: () => (stopAsked = true),
        force: () => {
          process.stderr.write('Asked to stop now (coord-runner stop --now): exiting.\n');
          // After the answer has left.
          setTimeout(() => process.exit(130), 50);
        },
      },
      onError: warn,
    }),
  );
  return followRunner(runner, {
    json: opts.json ?? false,
    once: opts.once ?? false,
    interactive: opts.interactive,
    stopAsked: () => stopAsked,
  });
}
