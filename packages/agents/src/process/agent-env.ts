/**
 * The agent's environment is built from an allowlist, never the runner's environment wholesale:
 * the runner may hold COORD_TOKEN, GITHUB_TOKEN and the like, which an agent must not see.
 */
const posixNames = ['PATH', 'HOME', 'LANG', 'TERM', 'TMPDIR', 'USER', 'SHELL', 'TZ'];
// Windows programs (node included) need these to find the home, temp and system directories.
const windowsNames = [
  'SystemRoot',
  'ComSpec',
  'PATHEXT',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'TEMP',
  'TMP',
];

function isAllowed(name: string, platform: NodeJS.Platform): boolean {
  if (platform === 'win32') {
    const upper = name.toUpperCase();
    return [...posixNames, ...windowsNames].some((n) => n.toUpperCase() === upper) || upper.startsWith('LC_');
  }
  return posixNames.includes(name) || name.startsWith('LC_');
}

export function buildAgentEnv(
  parentEnv: NodeJS.ProcessEnv,
  extra: Readonly<Record<string, string>> = {},
  platform: NodeJS.Platform = process.platform,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv)) {
    if (value !== undefined && isAllowed(name, platform)) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    // Windows names are case-insensitive: an extra `PATH` must replace the inherited `Path`.
    if (platform === 'win32') {
      for (const existing of Object.keys(env))
        if (existing.toUpperCase() === name.toUpperCase()) delete env[existing];
    }
    env[name] = value;
  }
  return env;
}

/** The PATH value of an environment, whatever its case on Windows. */
export function pathOf(
  env: Readonly<Record<string, string | undefined>>,
  platform = process.platform,
): string {
  if (platform !== 'win32') return env.PATH ?? '';
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  return key ? (env[key] ?? '') : '';
}
