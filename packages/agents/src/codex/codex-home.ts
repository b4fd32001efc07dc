import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A model provider for Codex (research/agent-protocols.md 2.3): where it sends model requests and
 * which environment variable holds the key. The key itself never appears here, in config.toml or
 * in argv: Codex reads it from the variable named by `envKey`, which only the Codex process gets.
 */
export interface CodexProvider {
  /** The key under `model_providers` (letters, digits, `-` and `_`). */
  id: string;
  name?: string;
  baseUrl: string;
  envKey?: string;
  /** Retries Codex makes itself; left to Codex's defaults unless set (tests set 0). */
  requestMaxRetries?: number;
  streamMaxRetries?: number;
}

export interface CodexHomeInput {
  /** Where per-job homes live. */
  baseDir: string;
  jobId: string;
  workDir: string;
  /** The user's own CODEX_HOME, for their `codex login` (auth.json). */
  userHome: string | null;
  provider?: CodexProvider | undefined;
  model?: string | undefined;
}

export interface CodexHome {
  dir: string;
  /** Removes what must not outlive the run (the copied sign-in); the sessions stay for a resume. */
  cleanup(): void;
}

/**
 * Codex refuses to create its helper binaries under /tmp, so the default base moves to /var/tmp
 * where the system temp dir is /tmp.
 */
export function defaultCodexHomeBase(): string {
  const tmp = tmpdir();
  const base = process.platform === 'linux' && tmp.startsWith('/tmp') ? '/var/tmp' : tmp;
  return path.join(base, 'coord-runner-codex');
}

/** The user's CODEX_HOME: $CODEX_HOME, else ~/.codex. */
export function userCodexHome(env: NodeJS.ProcessEnv): string | null {
  if (env.CODEX_HOME) return env.CODEX_HOME;
  return env.HOME ? path.join(env.HOME, '.codex') : null;
}

const tomlString = (value: string): string => JSON.stringify(value);
const providerIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The config.toml the runner writes: the provider if one is configured, the work directory
 * trusted (so Codex does not ask about it), and the question tool offered outside Plan mode.
 * Nothing comes from the user's own config.toml: no MCP servers, no profiles, no notify hooks.
 */
export function codexConfigToml(input: Pick<CodexHomeInput, 'workDir' | 'provider' | 'model'>): string {
  const lines: string[] = ['# Written by Coord Runner for one job; rewritten on every run.'];
  if (input.model) lines.push(`model = ${tomlString(input.model)}`);
  const provider = input.provider;
  if (provider) {
    if (!providerIdPattern.test(provider.id))
      throw new Error('a Codex provider id must match [A-Za-z0-9_-]+');
    lines.push(`model_provider = ${tomlString(provider.id)}`);
  }
  // Under development in 0.171 (hence the warning switched off), and the only way Codex asks a
  // person a question outside Plan mode: without it, request_user_input fails for the model.
  lines.push('suppress_unstable_features_warning = true');
  lines.push('', '[features]', 'default_mode_request_user_input = true');
  if (provider) {
    lines.push(
      '',
      `[model_providers.${provider.id}]`,
      `name = ${tomlString(provider.name ?? provider.id)}`,
      `base_url = ${tomlString(provider.baseUrl)}`,
      'wire_api = "responses"',
      // The HTTP streaming path: a WebSocket attempt first costs seconds of retries on most gateways.
      'supports_websockets = false',
    );
    if (provider.envKey) lines.push(`env_key = ${tomlString(provider.envKey)}`);
    if (provider.requestMaxRetries !== undefined)
      lines.push(`request_max_retries = ${Math.max(0, Math.floor(provider.requestMaxRetries))}`);
    if (provider.streamMaxRetries !== undefined)
      lines.push(`stream_max_retries = ${Math.max(0, Math.floor(provider.streamMaxRetries))}`);
  }
  // Codex passes its own environment to the commands it runs: never the keys it was given.
  const secrets = ['OPENAI_API_KEY', 'CODEX_API_KEY', ...(provider?.envKey ? [provider.envKey] : [])];
  lines.push(
    '',
    '[shell_environment_policy]',
    'ignore_default_excludes = false',
    `exclude = [${[...secrets, '*API_KEY*', '*SECRET*', '*TOKEN*'].map(tomlString).join(', ')}]`,
  );
  lines.push('', `[projects.${tomlString(input.workDir)}]`, 'trust_level = "trusted"', '');
  return lines.join('\n');
}

/** Job homes whose config.toml (rewritten on every run) is older than this are removed. */
export const codexHomeMaxAgeMs = 14 * 24 * 60 * 60 * 1000;

/** Best effort: removes the homes of jobs not run for `maxAgeMs` (sessions, Codex's databases). */
export function pruneCodexHomes(baseDir: string, maxAgeMs = codexHomeMaxAgeMs, now = Date.now()): void {
  let entries: string[];
  try {
    entries = readdirSync(baseDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith('job-')) continue;
    const dir = path.join(baseDir, entry);
    try {
      if (now - statSync(path.join(dir, 'config.toml')).mtimeMs > maxAgeMs)
        rmSync(dir, { recursive: true, force: true });
    } catch {
      // being created, or already gone
    }
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The user's sign-in back where it came from, if Codex refreshed it during the run (ChatGPT
 * refresh tokens rotate: keeping the stale one would sign the user out) and the user's own file
 * did not change meanwhile (their own `codex` wins). Atomic, owner-only.
 */
function syncBack(copy: string, original: string, copiedText: string): void {
  const now = readOrNull(copy);
  if (now === null || now === copiedText || readOrNull(original) !== copiedText) return;
  const temp = `${original}.coord-${process.pid}.tmp`;
  writeFileSync(temp, now, { mode: 0o600 });
  renameSync(temp, original);
}

/**
 * The CODEX_HOME a job's runs use: one directory per job (so a retry finds the thread's rollout
 * and can resume it), private to the runner's user, with a config.toml of the runner's own and a
 * copy of the user's auth.json (so people signed in with `codex login` need no setup). The copy
 * is removed when the run ends, after a refreshed sign-in has gone back to the user's file.
 */
export function prepareCodexHome(input: CodexHomeInput): CodexHome {
  // Synchronous: a few small files, written before the process starts (AgentPort.start is sync).
  const key = createHash('sha256').update(input.jobId).digest('hex').slice(0, 24);
  const dir = path.join(input.baseDir, `job-${key}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(path.join(dir, 'config.toml'), codexConfigToml(input), { mode: 0o600 });
  const auth = path.join(dir, 'auth.json');
  const original = input.userHome ? path.join(input.userHome, 'auth.json') : null;
  const copiedText = original ? readOrNull(original) : null;
  if (copiedText !== null) {
    writeFileSync(auth, copiedText, { mode: 0o600 });
    chmodSync(auth, 0o600); // a copy left by a runner that was killed keeps its old mode otherwise
  }
  return {
    dir,
    cleanup() {
      if (copiedText === null || !original) return;
      try {
        syncBack(auth, original, copiedText);
      } finally {
        rmSync(auth, { force: true });
      }
    },
  };
}
