import {
  CONTROL_API_VERSION,
  createControlService,
  type AgentRow as ControlAgentRow,
  createFileEventSpool,
  createFileHistoryStore,
  spoolsReader,
  type StatusSnapshot,
} from '@coord/runner-core';
import { permissionModeSchema } from '@coord/runner-protocol';
import { holdSignals, type HeldSignals } from '../held-signals.js';
import { resolveAccounts, type AccountConnection } from '../accounts.js';
import { composeRunners } from '../compose.js';
import { applyAgentSettings, getSetting, listSettings, setSetting } from '../settings.js';
import { scan, setEnabled, type AgentRow as ScannedAgent } from './agents.js';
import { agentSettings, readConfig } from '../config.js';
import { resolveStateDir } from '../state-dir.js';
import { openControlEndpoint, type ControlEndpoint } from '../control/control-server.js';
import { followRunner, outputMode } from '../follow.js';
import { historyFile } from '../state-dir.js';
import { CLI_VERSION } from '../version.js';
import type { StartFlags } from './start.js';

/** `coord-runner start`: loaded only when it runs. */
export async function start(opts: StartFlags, early: HeldSignals = holdSignals()): Promise<void> {
  const stateDir = resolveStateDir(opts.stateDir);
  // Every account this runner serves: the first (flags, environment, `login`) and each named one.
  const accounts = resolveAccounts(opts, stateDir);
  // Before anything else: a second runner on this state dir must not register at all.
  const endpoint = await openControlEndpoint(stateDir);
  try {
    process.exitCode = await run(opts, { accounts, stateDir, earlySignals: early.release }, endpoint);
  } finally {
    early.release();
    await endpoint.close();
  }
}

async function run(
  opts: StartFlags,
  {
    accounts,
    stateDir,
    earlySignals,
  }: { accounts: AccountConnection[]; stateDir: string; earlySignals: () => NodeJS.Signals[] },
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
  applyAgentSettings(stateDir, process.env);
  const connections = accounts.map((account) => ({
    name: account.name,
    server: account.server,
    token: account.token,
    ...(account.tokenFile ? { tokenFile: account.tokenFile } : {}),
    credentialsDir: account.credentialsDir,
    spool: createFileEventSpool(account.attemptsDir),
  }));
  const agentLimits = agentLimitsOf(config.agentLimits);
  const runner = composeRunners({
    ...agentSettings(config, (message) => process.stderr.write(`config.json: ${message}\n`)),
    connections,
    stateDir,
    ...(workspaceDir ? { workspaceDir } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    capacity,
    ...(agentLimits ? { agentLimits } : {}),
    keepWorkTrees: opts.keepWorkTrees ?? false,
    ...(forgeRetryFor ? { forgeRetryForMs: forgeRetryFor * 1000 } : {}),
    permissions: { mode },
  });
  // A runner with several connections names them in its status; a lone one has just its server.
  const named =
    'connections' in runner ? runner.connections.map(({ name, server }) => ({ name, server })) : null;
  let stopAsked = false;
  let forced = false;
  const warn = (error: unknown) =>
    process.stderr.write(`coord-runner: ${error instanceof Error ? error.message : String(error)}\n`);
  const control = createControlService({
    runner,
    spool: spoolsReader(connections.map((c) => c.spool)),
    history: createFileHistoryStore(historyFile(stateDir), {
      ...(config.history?.maxEntries ? { maxEntries: config.history.maxEntries } : {}),
      ...(config.history?.maxAgeDays ? { maxAgeMs: config.history.maxAgeDays * 86_400_000 } : {}),
    }),
    server: connections[0]!.server,
    ...(named ? { connections: named } : {}),
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
    earlySignals,
  });
  // A forced stop exits as an interrupted run does.
  return forced ? 130 : exitCode;
}

/** The valid `agentLimits` entries (a shared file may hold a bad one: it is left out). */
function agentLimitsOf(limits: unknown): Record<string, number> | undefined {
  if (!limits || typeof limits !== 'object') return undefined;
  const valid = Object.entries(limits).filter(([, n]) => positiveInt(n));
  return valid.length ? Object.fromEntries(valid) : undefined;
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
