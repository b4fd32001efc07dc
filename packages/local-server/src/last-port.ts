import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The port a data dir's server last listened on. A restart on it keeps the server's address: the
 * one runners are signed in to, and the one its jobs' clone and pull request URLs carry.
 */
const file = (dataDir: string) => join(dataDir, 'last-port');

/** The port of the last run, or null (none yet, or a file that is not a port). */
export function readLastPort(dataDir: string): number | null {
  try {
    const port = Number(readFileSync(file(dataDir), 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port <= 65_535 ? port : null;
  } catch {
    return null;
  }
}

export function writeLastPort(dataDir: string, port: number): void {
  writeFileSync(file(dataDir), `${port}\n`);
}
