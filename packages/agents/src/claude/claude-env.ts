/**
 * What Claude Code gets from the runner's environment, on top of the allowlist every agent gets
 * (buildAgentEnv): its credentials and provider settings. They go to this agent only, never to
 * another agent, argv or events. HOME stays (from the allowlist), so a person signed in to Claude
 * (~/.claude) needs no setup.
 */
const passedNames = new Set([
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_CUSTOM_HEADERS',
  'ANTHROPIC_MODEL',
  'ANTHROPIC_SMALL_FAST_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'ANTHROPIC_BEDROCK_BASE_URL',
  'ANTHROPIC_VERTEX_BASE_URL',
  'ANTHROPIC_VERTEX_PROJECT_ID',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_SKIP_BEDROCK_AUTH',
  'CLAUDE_CODE_SKIP_VERTEX_AUTH',
  'CLAUDE_CONFIG_DIR',
  // Claude Code on Windows runs its shell tool through Git Bash, found here when not on PATH.
  'CLAUDE_CODE_GIT_BASH_PATH',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_BEARER_TOKEN_BEDROCK',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GOOGLE_CLOUD_PROJECT',
  'CLOUD_ML_REGION',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'NODE_EXTRA_CA_CERTS',
]);

/** Values among them that are secrets, to be redacted wherever text leaves the runner. */
export const claudeSecretNames = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_CUSTOM_HEADERS',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_BEARER_TOKEN_BEDROCK',
];

const isPassed = (name: string): boolean => passedNames.has(name) || name.startsWith('VERTEX_REGION_');
/** Markers of a parent Claude Code session (the runner started from inside one), never inherited. */
const isParentSessionMarker = (name: string): boolean =>
  name === 'CLAUDECODE' || (name.startsWith('CLAUDE_CODE_') && !passedNames.has(name));

/** The environment Claude Code runs with, beyond the allowlist every agent gets. */
export function claudeEnv(
  parentEnv: NodeJS.ProcessEnv,
  jobEnv: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv))
    if (value !== undefined && isPassed(name)) env[name] = value;
  for (const [name, value] of Object.entries(jobEnv)) if (!isParentSessionMarker(name)) env[name] = value;
  // No auto-update, telemetry or error reports from a runner's agent; and it says who started it.
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  env.DISABLE_AUTOUPDATER = '1';
  env.CLAUDE_CODE_ENTRYPOINT = 'coord-runner';
  return env;
}
