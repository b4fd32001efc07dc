import { arch, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
  createRunnerGroup,
  environmentSecrets,
  type EventSpool,
  type PermissionSettings,
  type Runner,
  type RunnerGroup,
} from '@coord/runner-core';
import {
  createRepositoryWorkspaces,
  defaultRetention,
  pruneRepositoryDiskPeriodically,
  type RepositoryDirs,
  type RepositoryWorkspacesOptions,
  type RetentionPolicy,
} from '@coord/runner-git';
import type { Platform } from '@coord/runner-protocol';
import { DEFAULT_ACCOUNT } from './accounts.js';
import { createAgents } from './agents.js';
import { stopLeftoverProcesses } from '@coord/runner-agents';
import { readConfig } from './config.js';
import type { AcpAgentConfig, RunnerConfig } from './config.js';
import { credentialsSource, loadMachineId } from './state-dir.js';
import { CLI_VERSION } from './version.js';

/** The `git.*` settings as the git package takes them (an author needs both name and e-mail). */
export function gitOptionsFrom(
  config: RunnerConfig,
): Pick<RepositoryWorkspacesOptions, 'author' | 'baseDrift' | 'maxFileBytes' | 'standbyWorkTrees'> {
  const git = config.git ?? {};
  return {
    ...(git.authorName && git.authorEmail
      ? { author: { name: git.authorName, email: git.authorEmail } }
      : {}),
    ...(git.baseDrift ? { baseDrift: git.baseDrift } : {}),
    ...(git.maxFileMb ? { maxFileBytes: git.maxFileMb * 1024 * 1024 } : {}),
    ...(git.standbyWorkTrees !== undefined ? { standbyWorkTrees: git.standbyWorkTrees } : {}),
  };
}

/** How long mirrors and left-behind work trees are kept: the `git.*Days` settings over the defaults. */
export function retentionFrom(config: RunnerConfig): RetentionPolicy {
  const git = config.git ?? {};
  return {
    mirrorRetentionDays: git.mirrorRetentionDays ?? defaultRetention.mirrorRetentionDays,
    workTreeRetentionDays: git.keepFailedWorkTreesDays ?? defaultRetention.workTreeRetentionDays,
  };
}

/** Where repository jobs' mirrors and work trees live, for the runner and for `doctor` alike. */
export function repositoryDirs(stateDir: string, workspaceDir?: string): RepositoryDirs {
  return {
    mirrorsDir: join(stateDir, 'mirrors'),
    workspaceDir: join(workspaceDir ?? join(stateDir, 'workspace'), 'repositories'),
  };
}

export interface ComposeOptions {
  server: string;
  token: string;
  stateDir: string;
  /** The file the token was read from, when not the state dir's own `credentials`. */
  tokenFile?: string;
  /** Where attempts' work trees live (a setting; defaults inside the state dir). */
  workspaceDir?: string;
  name?: string;
  capacity?: number;
  /** At most this many jobs of one agent at once (the `agentLimits.*` settings). */
  agentLimits?: Readonly<Record<string, number>>;
  labels?: string[];
  timings?: { leaseRenewMs?: number; claimWaitMs?: number };
  keepWorkTrees?: boolean;
  /** How the agents' tool calls are decided (the permission mode and rules). */
  permissions?: PermissionSettings;
  /** How long pushes, fetches and pull-request calls keep retrying through an outage (default 5 min). */
  forgeRetryForMs?: number;
  /** A Claude Code program to use instead of looking on PATH (a setting). */
  claudeCodePath?: string;
  /** A Codex program to use instead of looking on PATH (a setting). */
  codexPath?: string;
  /** A Gemini CLI program (the `gemini` shim or bundle/gemini.js) to use instead of looking on PATH. */
  geminiPath?: string;
  /** The event spool (default: `<state>/attempts`); `start` shares it with the control API. */
  spool?: EventSpool;
  /** ACP agents from the config file, each registered as `acp:<name>`. */
  acpAgents?: readonly AcpAgentConfig[];
}

/** Wires core, agents and git into a runner: the composition root for terminals and servers. */
export function composeRunner(options: ComposeOptions): Runner {
  const parts = sharedParts(options);
  const runner = createRunner({
    ...parts.runnerOptions,
    ...connectionOptions(options, {
      server: options.server,
      token: options.token,
      ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}),
      credentialsDir: options.stateDir,
    }),
    capacity: options.capacity ?? 1,
    ...(options.agentLimits ? { agentLimits: options.agentLimits } : {}),
    local: createLocalWorkspaces({ root: join(parts.workspaceDir, 'local') }),
    spool: options.spool ?? createFileEventSpool(join(options.stateDir, 'attempts')),
  });
  parts.pruneWhileAlive(runner);
  return runner;
}

/** One connection of a runner with several (`start` with accounts added by `login --account`). */
export interface ComposedConnection {
  name: string;
  server: string;
  token: string;
  tokenFile?: string;
  /** Where a new sign-in is read from after a refused token (its `credentials`). */
  credentialsDir: string;
  spool: EventSpool;
}

/**
 * A runner serving several accounts or servers: one connection each, one slot pool for them all
 * (core's `createRunnerGroup`). With one connection named `default`, the plain runner.
 */
export function composeRunners(
  options: Omit<ComposeOptions, 'server' | 'token' | 'tokenFile' | 'spool'> & {
    connections: readonly ComposedConnection[];
  },
): Runner | RunnerGroup {
  const [only] = options.connections;
  if (options.connections.length === 1 && only?.name === DEFAULT_ACCOUNT) {
    return composeRunner({
      ...options,
      server: only.server,
      token: only.token,
      ...(only.tokenFile ? { tokenFile: only.tokenFile } : {}),
      spool: only.spool,
    });
  }
  const parts = sharedParts(options);
  const group = createRunnerGroup({
    capacity: options.capacity ?? 1,
    ...(options.agentLimits ? { agentLimits: options.agentLimits } : {}),
    connections: options.connections.map((connection) => ({
      name: connection.name,
      server: connection.server,
      runner: {
        ...parts.runnerOptions,
        ...connectionOptions(options, connection),
        local: createLocalWorkspaces({
          root: join(
            parts.workspaceDir,
            'local',
            ...(connection.name === DEFAULT_ACCOUNT ? [] : [connection.name]),
          ),
        }),
        spool: connection.spool,
      },
    })),
  });
  parts.pruneWhileAlive(group);
  return group;
}

/** What every connection of the runner shares: identity, agents, repositories, policy. */
function sharedParts(options: Omit<ComposeOptions, 'server' | 'token'>) {
  const workspaceDir = options.workspaceDir ?? join(options.stateDir, 'workspace');
  const agents = createAgents(options);
  const config = readConfig(options.stateDir);
  const repositories = createRepositoryWorkspaces({
    ...repositoryDirs(options.stateDir, workspaceDir),
    ...(options.forgeRetryForMs !== undefined ? { retry: { maxElapsedMs: options.forgeRetryForMs } } : {}),
    ...gitOptionsFrom(config),
  });
  const runnerOptions = {
    identity: {
      machineId: loadMachineId(options.stateDir),
      name: options.name ?? hostname(),
      platform: process.platform as Platform,
      arch: arch(),
      version: CLI_VERSION,
      labels: options.labels ?? [],
    },
    agents,
    repositories,
    ...(options.timings ? { timings: options.timings } : {}),
    keepWorkTrees: options.keepWorkTrees ?? false,
    disabledAgents: config.disabledAgents ?? [],
    ...(options.permissions ? { permissions: options.permissions } : {}),
    secrets: environmentSecrets(process.env),
    stopLeftoverProcesses,
  };
  return {
    workspaceDir,
    runnerOptions,
    /** Stale work trees and unused mirrors are pruned now and every few hours while the runner lives. */
    pruneWhileAlive(runner: Runner) {
      const stopPruning = pruneRepositoryDiskPeriodically(repositories, retentionFrom(config), {
        onError: (error) =>
          process.stderr.write(
            `coord-runner: removing old work trees and mirrors failed: ${error instanceof Error ? error.message : String(error)}\n`,
          ),
      });
      // A runner that stops does not wait for the next job's standby work tree to be checked out.
      const stopBackground = () => {
        stopPruning();
        void repositories.stopBackground();
      };
      runner.events$.subscribe({ complete: stopBackground, error: stopBackground });
    },
  };
}

/** A connection's client, sign-in and protected paths. */
function connectionOptions(
  options: { stateDir: string },
  connection: { server: string; token: string; tokenFile?: string; credentialsDir: string },
) {
  return {
    client: createCoordClient({
      baseUrl: connection.server,
      token: connection.token,
      userAgent: `coord-runner/${CLI_VERSION}`,
    }),
    // A refused token (expired, revoked) signs the connection out until these hold a new one.
    credentials: credentialsSource({
      stateDir: connection.credentialsDir,
      ...(connection.tokenFile ? { tokenFile: connection.tokenFile } : {}),
    }),
    // Agents run as this user: they are told to keep out of the runner's state and token file.
    protectedPaths: [options.stateDir, ...(connection.tokenFile ? [resolve(connection.tokenFile)] : [])],
  };
}
