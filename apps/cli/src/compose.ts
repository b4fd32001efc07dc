import { arch, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
  environmentSecrets,
  type EventSpool,
  type PermissionSettings,
  type Runner,
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
import { createAgents } from './agents.js';
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
  const workspaceDir = options.workspaceDir ?? join(options.stateDir, 'workspace');
  const agents = createAgents(options);
  const config = readConfig(options.stateDir);
  const repositories = createRepositoryWorkspaces({
    ...repositoryDirs(options.stateDir, workspaceDir),
    ...(options.forgeRetryForMs !== undefined ? { retry: { maxElapsedMs: options.forgeRetryForMs } } : {}),
    ...gitOptionsFrom(config),
  });
  const runner = createRunner({
    client: createCoordClient({
      baseUrl: options.server,
      token: options.token,
      userAgent: `coord-runner/${CLI_VERSION}`,
    }),
    identity: {
      machineId: loadMachineId(options.stateDir),
      name: options.name ?? hostname(),
      platform: process.platform as Platform,
      arch: arch(),
      version: CLI_VERSION,
      labels: options.labels ?? [],
    },
    agents,
    capacity: options.capacity ?? 1,
    repositories,
    local: createLocalWorkspaces({ root: join(workspaceDir, 'local') }),
    spool: options.spool ?? createFileEventSpool(join(options.stateDir, 'attempts')),
    ...(options.timings ? { timings: options.timings } : {}),
    keepWorkTrees: options.keepWorkTrees ?? false,
    disabledAgents: config.disabledAgents ?? [],
    ...(options.permissions ? { permissions: options.permissions } : {}),
    secrets: environmentSecrets(process.env),
    // A refused token (expired, revoked) signs the runner out until these hold a new one.
    credentials: credentialsSource({
      stateDir: options.stateDir,
      ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}),
    }),
    // Agents run as this user: they are told to keep out of the runner's state and token file.
    protectedPaths: [options.stateDir, ...(options.tokenFile ? [resolve(options.tokenFile)] : [])],
  });
  // Stale work trees and unused mirrors are pruned now and every few hours while the runner lives.
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
  return runner;
}
