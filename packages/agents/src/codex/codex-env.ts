import type { CodexProvider } from './codex-home.js';

/**
 * What Codex gets from the runner's environment, on top of the allowlist every agent gets
 * (buildAgentEnv): its API keys, proxy and CA settings, and the variable a configured provider
 * names for its key. They go to this agent only, never to another agent, argv or events.
 * CODEX_HOME is the runner's per-job home, never the user's (see codex-home.ts).
 */
const passedNames = new Set([
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'OPENAI_ORGANIZATION',
  'OPENAI_PROJECT',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'SSL_CERT_FILE',
  'CODEX_CA_CERTIFICATE',
]);

/**
 * A provider switch from the runner's environment, when its settings name none: OPENAI_BASE_URL
 * (deprecated in Codex itself, which no longer reads it) becomes a Responses-API provider whose
 * key is OPENAI_API_KEY. Without either, Codex uses the user's own sign-in.
 */
export function providerFromEnv(parentEnv: NodeJS.ProcessEnv): CodexProvider | undefined {
  const baseUrl = parentEnv.OPENAI_BASE_URL;
  if (!baseUrl) return undefined;
  return { id: 'coord_openai', name: 'OpenAI (OPENAI_BASE_URL)', baseUrl, envKey: 'OPENAI_API_KEY' };
}

/** Names whose values are secrets, to be redacted wherever text leaves the runner. */
export function codexSecretNames(providerEnvKey?: string): string[] {
  return ['OPENAI_API_KEY', 'CODEX_API_KEY', ...(providerEnvKey ? [providerEnvKey] : [])];
}

export function codexEnv(
  parentEnv: NodeJS.ProcessEnv,
  options: {
    codexHome: string;
    providerEnvKey?: string | undefined;
    jobEnv?: Readonly<Record<string, string>>;
  },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv))
    if (value !== undefined && (passedNames.has(name) || name === options.providerEnvKey)) env[name] = value;
  for (const [name, value] of Object.entries(options.jobEnv ?? {}))
    if (name !== 'CODEX_HOME') env[name] = value;
  env.CODEX_HOME = options.codexHome;
  return env;
}
