import { join } from 'node:path';
import {
  CONTROL_API_VERSION,
  createControlService,
  type AgentRow as ControlAgentRow,
  createFileEventSpool,
  createFileHistoryStore,
  type StatusSnapshot,
} from '@coord/runner-core';
import { permissionModeSchema } from '@coord/runner-protocol';
import { composeRunner } from '../compose.js';
import { applyAgentSecrets, getSetting, listSettings, setSetting } from '../settings.js';
import { scan, setEnabled, type AgentRow as ScannedAgent } from './agents.js';
import { agentSettings, readConfig } from '../config.js';
import { resolveConnection } from '../connection.js';
import { openControlEndpoint, type ControlEndpoint } from '../control/control-server.js';
import { followRunner, outputMode } from '../follow.js';
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
  // Flags win over settings; a setting a shared file got wrong falls back to the default.
  const capacity = opts.capacity ?? (positiveInt(config.capacity) ? config.capacity : 1);
  const mode = opts.permissionMode ?? permissionModeSchema.safeParse(config.permissionMode).data ?? 'ask';
  const workspaceDir = opts.workspaceDir ?? config.workspaceDir;
  const forgeRetryFor =
    opts.forgeRetryFor ??
    (positiveInt(config.forgeRetryForSeconds) ? config.forgeRetryForSeconds : undefined);
  applyAgentSecrets(stateDir, process.env);
  const spool = createFileEventSpool(join(stateDir, 'attempts'));
  const runner = composeRunner({
    ...agentSettings(config, (message) => process.stderr.write(`config.json: ${message}\n`)),
    server,
    token,
    stateDir,
    ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}),
    ...(workspaceDir ? { workspaceDir } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    capacity,
    keepWorkTrees: opts.keepWorkTrees ?? false,
    ...(forgeRetryFor ? { forgeRetryForMs: forgeRetryFor * 1000 } : {}),
    permissions: { mode },
    spool,
  });
  let stopAsked = false;
  let forced = false;
  const warn = (error: unknown) =>
    process.stderr.write(`coord-runner: ${error instanceof Error ? error.message : String(error)}\n`);
  const control = createControlService({
    runner,
    spool,
    history: createFileHistoryStore(historyFile(stateDir), {
      ...(config.history?.maxEntries ? { maxEntries: config.history.maxEntries } : {}),
      ...(config.history?.maxAgeDays ? { maxAgeMs: config.history.maxAgeDays * 86_400_000 } : {}),
    }),
    server,
    capacity,
    runnerVersion: CLI_VERSION,
    stateDir,
    handlers: {
      agents: {
        list: async () => (await scan(stateDir)).map(agentRow),
        setEnabled: async (id, enabled) => {
          await setEnabled(stateDir, id, enabled);
          return (await scan(stateDir)).map(agentRow);
        },
      },
      settings: {
        list: () => listSettings(stateDir),
        get: (key) => getSetting(stateDir, key),
        set: (key, value) => setSetting(stateDir, key, value),
      },
      onStop: (mode) => {
        stopAsked = true;
        if (mode === 'force') {
          forced = true;
          process.stderr.write(
            'Asked to stop now (coord-runner stop --now): ending the agents and reporting their jobs stopped.\n',
          );
        }
      },
    },
    onError: warn,
  });
  endpoint.serve(control);
  const exitCode = await followRunner(runner, {
    mode: outputMode(opts, process.stdout.isTTY === true),
    // The same snapshot `coord-runner status` gets.
    status: async () => {
      const reply = await control.call({ version: CONTROL_API_VERSION, call: { method: 'status' } });
      return reply.ok ? (reply.result as StatusSnapshot) : null;
    },
    once: opts.once ?? false,
    interactive: opts.interactive,
    stopAsked: () => stopAsked,
  });
  // A forced stop exits as an interrupted run does.
  return forced ? 130 : exitCode;
}

function positiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/** An agent as the control API describes it (agents are detected afresh on every list). */
function agentRow(agent: ScannedAgent): ControlAgentRow {
  return {
    id: agent.id,
    displayName: agent.displayName,
    state: agent.state,
    version: agent.version ?? null,
    path: agent.path ?? null,
    hint: agent.hint ?? null,
    enabled: agent.enabled && agent.enabledHere,
  };
}
