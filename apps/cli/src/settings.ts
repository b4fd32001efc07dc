import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PERMISSION_MODES } from '@coord/runner-protocol/names';
import { readConfig, writeConfig, type RunnerConfig } from './config.js';
import { CliError, EXIT } from './exit-codes.js';

/** A setting as `config list` shows it (the control API's `Setting`). */
export interface SettingView {
  key: string;
  value: unknown;
  description: string;
  secret: boolean;
}

interface PlainSetting {
  key: string;
  description: string;
  secret: false;
  /** The environment variable the agents read it from, when they do; `start` sets it when the environment does not. */
  env?: string;
  parse(value: string): unknown;
  read(config: RunnerConfig): unknown;
  write(config: RunnerConfig, value: unknown): RunnerConfig;
}

interface SecretSetting {
  key: string;
  description: string;
  secret: true;
  /** The environment variable the agents read it from; `start` sets it when the environment does not. */
  env: string;
}

type SettingDef = PlainSetting | SecretSetting;

const positive = (key: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new CliError(EXIT.usage, `${key} must be a positive whole number, got "${value}".`);
  }
  return n;
};

const top = <K extends keyof RunnerConfig>(key: K, description: string, parse: (v: string) => unknown) =>
  ({
    key,
    description,
    secret: false,
    parse,
    read: (config: RunnerConfig) => config[key],
    write: (config: RunnerConfig, value: unknown) => ({ ...config, [key]: value }),
  }) satisfies PlainSetting;

const history = (field: 'maxEntries' | 'maxAgeDays', description: string): PlainSetting => ({
  key: `history.${field}`,
  description,
  secret: false,
  parse: positive(`history.${field}`),
  read: (config) => config.history?.[field],
  write: (config, value) => ({ ...config, history: { ...config.history, [field]: value } }),
});

type GitConfig = NonNullable<RunnerConfig['git']>;
const gitSetting = <F extends keyof GitConfig>(
  field: F,
  description: string,
  parse: (v: string) => GitConfig[F],
): PlainSetting => ({
  key: `git.${field}`,
  description,
  secret: false,
  parse,
  read: (config) => config.git?.[field],
  write: (config, value) => ({ ...config, git: { ...config.git, [field]: value } }),
});

const BASE_DRIFT = ['merge', 'rebase', 'keep'] as const;

/** `agentLimits.<agent>`: at most this many of the agent's jobs at once, across every account. */
const agentLimit = (agent: string): PlainSetting => ({
  key: `agentLimits.${agent}`,
  description: `jobs of ${agent} to run at once, across every account (default: up to capacity)`,
  secret: false,
  parse: positive(`agentLimits.${agent}`),
  read: (config) => config.agentLimits?.[agent],
  write: (config, value) => ({ ...config, agentLimits: { ...config.agentLimits, [agent]: value as number } }),
});

type Provider = 'anthropic' | 'openai' | 'gemini';

/**
 * `<provider>.baseUrl`: another API for an agent's model calls (a proxy, a gateway). An address,
 * not a key: a plain setting, shown in full. Credentials are refused in it (config.json is
 * shareable); they belong in the key setting, kept as a secret.
 */
const baseUrl = (provider: Provider, env: string, description: string): PlainSetting => ({
  key: `${provider}.baseUrl`,
  description,
  secret: false,
  env,
  parse: (value) => parseBaseUrl(`${provider}.baseUrl`, value, `${provider}.apiKey`),
  read: (config) => config[provider]?.baseUrl,
  write: (config, value) => ({ ...config, [provider]: { ...config[provider], baseUrl: value } }),
});

/**
 * Query parameters named for a credential (`key`, `apikey`, `api_key`, `access_token`, `sig`...),
 * by whole words, so that `?design=` or `?author=` pass.
 */
const CREDENTIAL_PARAM =
  /^(?:.*[-_])?(?:api)?(?:key|token|secret|password|passwd|pwd|sig|signature|auth|authorization|credentials?)$/i;

/** An http(s) URL without credentials. The value is never echoed: a key pasted here by mistake stays unshown. */
export function parseBaseUrl(key: string, value: string, keySetting: string): string {
  const text = value.trim();
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Said below.
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CliError(
      EXIT.usage,
      `${key} must be an http or https URL, such as https://llm-proxy.example.com.`,
    );
  }
  if (
    url.username ||
    url.password ||
    [...url.searchParams.keys()].some((name) => CREDENTIAL_PARAM.test(name))
  ) {
    throw new CliError(
      EXIT.usage,
      `${key} must not carry a credential (a user name, a password or a key in the URL): config.json is not a secret.`,
      `Set the URL without it, and the key with \`coord-runner config set ${keySetting}\` (typed hidden, or on stdin).`,
    );
  }
  return text;
}

const secret = (key: string, env: string, description: string): SecretSetting => ({
  key,
  env,
  description,
  secret: true,
});

/**
 * Every setting `coord-runner config` knows. Plain ones live in `config.json` (shareable); secrets
 * in `agent-secrets.json`, owner-only, and are never printed in full nor taken from argv.
 */
export const SETTINGS: readonly SettingDef[] = [
  top('workspaceDir', 'where work trees of attempts live (default: <state dir>/workspace)', (v) =>
    resolve(v),
  ),
  top(
    'permissionMode',
    `what agents may do without asking: ${PERMISSION_MODES.join(', ')} (default ask)`,
    (v) => {
      if (!(PERMISSION_MODES as readonly string[]).includes(v)) {
        throw new CliError(
          EXIT.usage,
          `permissionMode must be one of ${PERMISSION_MODES.join(', ')}, got "${v}".`,
        );
      }
      return v;
    },
  ),
  top('capacity', 'jobs to run at once (default 1)', positive('capacity')),
  agentLimit('claude-code'),
  agentLimit('codex'),
  agentLimit('gemini'),
  top(
    'forgeRetryForSeconds',
    'how long pushes, fetches and pull-request calls keep retrying through an outage (default 300)',
    positive('forgeRetryForSeconds'),
  ),
  history('maxEntries', 'finished jobs the history keeps (default 10000)'),
  history('maxAgeDays', 'days the history keeps a finished job (default 90)'),
  gitSetting('authorName', "name on the runner's commits (default Coord Runner)", (v) => {
    if (!v.trim() || /[<>\n]/.test(v)) throw new CliError(EXIT.usage, `git.authorName cannot be "${v}".`);
    return v.trim();
  }),
  gitSetting('authorEmail', "e-mail on the runner's commits", (v) => {
    if (!/^[^\s<>@]+@[^\s<>@]+$/.test(v))
      throw new CliError(EXIT.usage, `git.authorEmail must be an e-mail address, got "${v}".`);
    return v;
  }),
  gitSetting(
    'baseDrift',
    `what a revision does when the base branch moved: ${BASE_DRIFT.join(', ')} (default merge)`,
    (v) => {
      if (!(BASE_DRIFT as readonly string[]).includes(v))
        throw new CliError(EXIT.usage, `git.baseDrift must be one of ${BASE_DRIFT.join(', ')}, got "${v}".`);
      return v as (typeof BASE_DRIFT)[number];
    },
  ),
  gitSetting(
    'maxFileMb',
    'files larger than this many MB are refused in a commit (default 50)',
    positive('git.maxFileMb'),
  ),
  gitSetting(
    'mirrorRetentionDays',
    'days a repository mirror no job used is kept before it is removed (default 30)',
    positive('git.mirrorRetentionDays'),
  ),
  gitSetting(
    'standbyWorkTrees',
    "keep one checked-out work tree per repository for its next job, so that job's checkout writes only what changed: true or false (default true)",
    (v) => {
      if (v !== 'true' && v !== 'false')
        throw new CliError(EXIT.usage, `git.standbyWorkTrees must be true or false, got "${v}".`);
      return v === 'true';
    },
  ),
  gitSetting(
    'keepFailedWorkTreesDays',
    "days a failed or stopped attempt's work tree is kept for inspection (default 14)",
    positive('git.keepFailedWorkTreesDays'),
  ),
  top('claudeCodePath', 'the Claude Code program (default: found on PATH)', (v) => resolve(v)),
  top('geminiPath', 'the Gemini CLI program (default: found on PATH)', (v) => resolve(v)),
  secret('anthropic.apiKey', 'ANTHROPIC_API_KEY', 'API key Claude Code uses (instead of its own sign-in)'),
  baseUrl('anthropic', 'ANTHROPIC_BASE_URL', 'another Anthropic-compatible API for Claude Code'),
  secret('openai.apiKey', 'OPENAI_API_KEY', 'API key Codex uses'),
  baseUrl('openai', 'OPENAI_BASE_URL', 'another OpenAI-compatible API for Codex'),
  secret('gemini.apiKey', 'GEMINI_API_KEY', 'API key Gemini CLI uses'),
  baseUrl('gemini', 'GOOGLE_GEMINI_BASE_URL', 'another Gemini-compatible API for Gemini CLI'),
];

const secretsFile = (stateDir: string) => join(stateDir, 'agent-secrets.json');

function readSecrets(stateDir: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(secretsFile(stateDir), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function writeSecrets(stateDir: string, secrets: Record<string, string>): void {
  writeFileSync(secretsFile(stateDir), `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(secretsFile(stateDir), 0o600);
}

/** Enough to recognise a value, never enough to use it. */
export function mask(value: string): string {
  return value.length <= 8 ? '…' : `${value.slice(0, 3)}…${value.slice(-4)}`;
}

function definition(key: string): SettingDef {
  const def = SETTINGS.find((s) => s.key === key);
  if (!def) {
    throw new CliError(
      EXIT.usage,
      `There is no setting "${key}".`,
      `See them all with \`coord-runner config list\`: ${SETTINGS.map((s) => s.key).join(', ')}.`,
    );
  }
  return def;
}

/**
 * A setting's value; a base URL set before it became a plain setting is still read from the
 * secrets file, until it is set again (which moves it).
 */
function valueOf(stateDir: string, def: SettingDef, config: RunnerConfig): unknown {
  if (def.secret) return readSecrets(stateDir)[def.key];
  return def.read(config) ?? (def.env ? readSecrets(stateDir)[def.key] : undefined);
}

/** A base URL kept as a secret by an older version may carry a credential: shown only when it does not. */
function showable(def: PlainSetting, value: unknown): boolean {
  if (!def.env) return true;
  try {
    def.parse(String(value));
    return true;
  } catch {
    return false;
  }
}

function view(stateDir: string, def: SettingDef, config = readConfig(stateDir)): SettingView {
  const value = valueOf(stateDir, def, config);
  return {
    key: def.key,
    value: value === undefined ? null : def.secret || !showable(def, value) ? mask(String(value)) : value,
    description: def.description,
    secret: def.secret,
  };
}

export function listSettings(stateDir: string): SettingView[] {
  const config = readConfig(stateDir);
  return SETTINGS.map((def) => view(stateDir, def, config));
}

export function getSetting(stateDir: string, key: string): SettingView {
  return view(stateDir, definition(key));
}

export function isSecretSetting(key: string): boolean {
  return definition(key).secret;
}

/** Sets (or with `null`, unsets) a setting; a running runner uses it from its next start. */
export function setSetting(stateDir: string, key: string, value: string | null): SettingView {
  const def = definition(key);
  if (def.secret) {
    const secrets = readSecrets(stateDir);
    if (value === null) delete secrets[key];
    else {
      if (!value.trim()) throw new CliError(EXIT.usage, `${key} must not be empty.`);
      secrets[key] = value.trim();
    }
    writeSecrets(stateDir, secrets);
  } else {
    const config = readConfig(stateDir);
    writeConfig(stateDir, def.write(config, value === null ? undefined : def.parse(value)));
    if (def.env) {
      // Where an older version kept it: the config's value is the one now.
      const secrets = readSecrets(stateDir);
      if (key in secrets) {
        delete secrets[key];
        writeSecrets(stateDir, secrets);
      }
    }
  }
  return getSetting(stateDir, key);
}

/**
 * The agents' settings for `start` (keys, base URLs): each put in the environment the agents
 * inherit, unless the environment already has one (it wins, as a flag wins over a file).
 */
export function applyAgentSettings(stateDir: string, env: NodeJS.ProcessEnv): void {
  const config = readConfig(stateDir);
  for (const def of SETTINGS) {
    if (!def.env || env[def.env]) continue;
    const value = valueOf(stateDir, def, config);
    if (typeof value === 'string' && value) env[def.env] = value;
  }
}
