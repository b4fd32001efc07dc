import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

/** Settings people may edit and share (DESIGN.md section 11): never a secret. */
export interface RunnerConfig {
  server?: string;
  /** Accounts beyond the first, by name (`coord-runner login --account <name>`); their tokens are not here. */
  accounts?: Record<string, { server: string }>;
  /** At most this many jobs of one agent at once, across every account (`agentLimits.<agent>`). */
  agentLimits?: Record<string, number>;
  /** Agents switched off on this machine (`coord-runner agents disable <id>`). */
  disabledAgents?: string[];
  /** Agent programs to use instead of looking on PATH. */
  claudeCodePath?: string;
  geminiPath?: string;
  /**
   * Any ACP agent, by name (its agent id is `acp:<name>`) and command line, started without a shell:
   * `"acpAgents": { "foo": { "command": ["foo-acp", "--stdio"] } }`.
   */
  acpAgents?: Record<string, { command: string[]; displayName?: string }>;
  /** Where attempts' work trees live (`--workspace-dir` wins). */
  workspaceDir?: string;
  /** What agents may do without asking (`--permission-mode` wins). */
  permissionMode?: 'ask' | 'auto_edit' | 'auto_project';
  /** Jobs run at once (`--capacity` wins). */
  capacity?: number;
  /** How long forge calls keep retrying through an outage (`--forge-retry-for` wins). */
  forgeRetryForSeconds?: number;
  /** How much history of finished jobs is kept (default 10000 entries, 90 days). */
  history?: { maxEntries?: number; maxAgeDays?: number };
  /** Another API for each provider's model calls (`<provider>.baseUrl`), without credentials. */
  anthropic?: { baseUrl?: string };
  openai?: { baseUrl?: string };
  gemini?: { baseUrl?: string };
  /** The runner's commits and revisions (DESIGN.md section 8). */
  git?: {
    authorName?: string;
    authorEmail?: string;
    /** What a revision does when the base branch moved: merge (default), rebase or keep. */
    baseDrift?: 'merge' | 'rebase' | 'keep';
    /** Files larger than this are refused in a commit (default 50). */
    maxFileMb?: number;
    /** A mirror no job used for this many days is removed (default 30). */
    mirrorRetentionDays?: number;
    /** One checked-out work tree per repository waits for its next job (default true). */
    standbyWorkTrees?: boolean;
    /** A failed or stopped attempt's work tree is removed after this many days unchanged (default 14). */
    keepFailedWorkTreesDays?: number;
  };
}

export interface AcpAgentConfig {
  name: string;
  command: [string, ...string[]];
  displayName?: string;
}

/** The valid `acpAgents` entries; a bad one is skipped with a reason (a shared file may be stale). */
export function acpAgentsOf(
  config: RunnerConfig,
  warn: (message: string) => void = () => undefined,
): AcpAgentConfig[] {
  const entries = config.acpAgents;
  if (!entries || typeof entries !== 'object') return [];
  const out: AcpAgentConfig[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    const command = (entry as { command?: unknown } | null)?.command;
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) {
      warn(`acpAgents: "${name}" is not a valid name (lowercase letters, digits and dashes)`);
      continue;
    }
    if (
      !Array.isArray(command) ||
      command.length === 0 ||
      !command.every((c) => typeof c === 'string' && c)
    ) {
      warn(`acpAgents.${name}: "command" must be a non-empty list of strings`);
      continue;
    }
    const displayName = (entry as { displayName?: unknown }).displayName;
    out.push({
      name,
      command: command as [string, ...string[]],
      ...(typeof displayName === 'string' && displayName ? { displayName } : {}),
    });
  }
  return out;
}

export function readConfig(stateDir: string): RunnerConfig {
  try {
    const parsed = JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as RunnerConfig) : {};
  } catch {
    return {};
  }
}

export function writeConfig(stateDir: string, config: RunnerConfig): void {
  writeFileSync(join(stateDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** `--server`, else `$COORD_SERVER`, else the server saved by `login`. */
export function resolveServer(flag: string | undefined, stateDir: string): string {
  const server = flag ?? process.env['COORD_SERVER'] ?? readConfig(stateDir).server;
  if (!server) {
    throw new CliError(
      EXIT.notSignedIn,
      'No Coord server: pass --server <url>, set COORD_SERVER, or run `coord-runner login --server <url>`.',
      // The way a first run hits this: `local` says to start with flags, and flags sign in nothing.
      'Flags sign in only the command they are given to (`start --server …` does not sign in `jobs` or `web`). To sign in every command, run `coord-runner login --server <url> --token-file <file>` once.',
    );
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch (error) {
    throw new Error(`The server URL "${server}" is not a valid URL.`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`The server URL "${server}" must start with https:// (or http:// for a local server).`);
  }
  if (url.username || url.password) throw new Error('The server URL must not contain credentials.');
  return server.replace(/\/+$/, '');
}

/** What the config says about where agents are and which ACP agents exist (for start and agents). */
export function agentSettings(
  config: RunnerConfig,
  warn?: (message: string) => void,
): { claudeCodePath?: string; geminiPath?: string; acpAgents: AcpAgentConfig[] } {
  return {
    ...(config.claudeCodePath ? { claudeCodePath: config.claudeCodePath } : {}),
    ...(config.geminiPath ? { geminiPath: config.geminiPath } : {}),
    acpAgents: acpAgentsOf(config, warn),
  };
}
