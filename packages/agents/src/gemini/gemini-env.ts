import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * What Gemini CLI gets from the runner's environment, on top of the allowlist every agent gets
 * (buildAgentEnv): its credentials and provider switches (Gemini API key, Vertex AI, a base URL).
 * They go to this agent only, never to another agent, argv or events. HOME stays, so a person
 * signed in with Google (~/.gemini/oauth_creds.json, or GEMINI_CLI_HOME) needs no setup.
 */
const passedNames = new Set([
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GOOGLE_GEMINI_BASE_URL',
  'GOOGLE_VERTEX_BASE_URL',
  'GOOGLE_GENAI_USE_VERTEXAI',
  'GOOGLE_GENAI_USE_GCA',
  'GOOGLE_CLOUD_PROJECT',
  'GOOGLE_CLOUD_LOCATION',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GEMINI_MODEL',
  'GEMINI_CLI_HOME',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'NODE_EXTRA_CA_CERTS',
]);

/** Values among them that are secrets, to be redacted wherever text leaves the runner. */
export const geminiSecretNames = ['GEMINI_API_KEY', 'GOOGLE_API_KEY'];

/** Names a job may not set: they would undo the guards below. */
const guarded = new Set([
  'GEMINI_CLI_TRUST_WORKSPACE',
  'GEMINI_CLI_SYSTEM_SETTINGS_PATH',
  'GEMINI_CLI_SYSTEM_DEFAULTS_PATH',
  'GEMINI_CLI_NO_RELAUNCH',
]);

/**
 * The environment Gemini CLI runs with, beyond the allowlist. Guards (verified on 0.61 in
 * tests/agents): GEMINI_CLI_TRUST_WORKSPACE=false makes every work directory untrusted, whatever the
 * person's trustedFolders.json says, so a repository's own .gemini/settings.json (tool allow
 * rules, MCP servers, hooks, auto-approval modes) and .env are ignored; GEMINI_CLI_NO_RELAUNCH
 * keeps it one process (it otherwise re-execs itself for a bigger heap).
 */
export function geminiEnv(
  parentEnv: NodeJS.ProcessEnv,
  jobEnv: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv))
    if (value !== undefined && passedNames.has(name)) env[name] = value;
  for (const [name, value] of Object.entries(jobEnv)) if (!guarded.has(name)) env[name] = value;
  env.GEMINI_CLI_TRUST_WORKSPACE = 'false';
  env.GEMINI_CLI_NO_RELAUNCH = 'true';
  return env;
}

/** What 0.61 takes from a .env even in an untrusted folder (AUTH_ENV_VAR_WHITELIST), if unset. */
const dotenvAuthNames = ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_CLOUD_LOCATION'];

/** The first .env Gemini would read from the work directory up, other than the home one. */
export function repositoryEnvFile(workDir: string, home: string | undefined): string | null {
  for (let dir = path.resolve(workDir); ; dir = path.dirname(dir)) {
    const file = path.join(dir, '.env');
    if (dir !== home && existsSync(file)) return file;
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * Even in an untrusted folder, 0.61 reads auth variables from the first .env above the work
 * directory when they are unset, so a repository could make the job run on its own key or cloud
 * project (verified in tests/agents). Gemini never overrides a set variable, so when such a file
 * exists, the unset ones are set empty (which Gemini treats as unset). Without one, the person's
 * ~/.env keeps working. There is no flag for it: 0.61 rejects `--ignore-env` as unknown.
 */
export function withoutRepositoryAuth(
  env: Record<string, string>,
  workDir: string,
  home: string | undefined,
): Record<string, string> {
  if (!repositoryEnvFile(workDir, home)) return env;
  const out = { ...env };
  for (const name of dotenvAuthNames) if (!(name in out)) out[name] = '';
  return out;
}
