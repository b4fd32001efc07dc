import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Settings people may edit and share (DESIGN.md section 11): never a secret. */
export interface RunnerConfig {
  server?: string;
  /** Agents switched off on this machine (`coord-runner agents disable <id>`). */
  disabledAgents?: string[];
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
    throw new Error(
      'No Coord server: pass --server <url>, set COORD_SERVER, or run `coord-runner login --server <url>`.',
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
