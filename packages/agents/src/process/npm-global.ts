import path from 'node:path';

/** Where `npm install -g` usually puts packages, without running npm (slow, maybe absent). */
export function defaultGlobalModuleDirs(
  env: Readonly<Record<string, string>>,
  platform: NodeJS.Platform,
): string[] {
  if (platform === 'win32') {
    const appData = Object.entries(env).find(([k]) => k.toUpperCase() === 'APPDATA')?.[1];
    return [
      ...(appData ? [path.win32.join(appData, 'npm', 'node_modules')] : []),
      path.win32.join(path.win32.dirname(process.execPath), 'node_modules'),
    ];
  }
  const nodePrefix = path.dirname(path.dirname(process.execPath));
  return [
    ...new Set([
      path.join(nodePrefix, 'lib', 'node_modules'),
      '/usr/local/lib/node_modules',
      '/opt/homebrew/lib/node_modules',
      ...(env.HOME ? [path.join(env.HOME, '.npm-global', 'lib', 'node_modules')] : []),
    ]),
  ];
}
