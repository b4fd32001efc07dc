/**
 * Environment variables whose values are secrets the runner holds for its agents (API keys) or
 * for git (forge tokens). Agents never get them through the environment (its allowlist), but an
 * agent can still come across one (a file, a config): every event and push is checked for them.
 */
export const SECRET_ENV_NAMES = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GH_TOKEN',
  'GITHUB_TOKEN',
] as const;

/** The values of those that are set, for `RunnerOptions.secrets`. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return SECRET_ENV_NAMES.flatMap((name) => {
    const value = env[name]?.trim();
    return value ? [value] : [];
  });
}
