import { createHash } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Unix socket paths are short (104 bytes on macOS, 108 on Linux, with the terminating NUL). */
const MAX_SOCKET_PATH = 100;

/**
 * Where a runner serves its control API: a Unix socket in an owner-only directory of its state
 * dir (one per state dir), or on Windows a named pipe named after the state dir. A state dir too
 * deep for a socket path gets one in a per-user directory under the temp dir instead.
 */
export function controlEndpoint(stateDir: string): { dir: string | null; path: string } {
  const id = createHash('sha256').update(stateDir).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return { dir: null, path: `\\\\.\\pipe\\coord-runner-${id}` };
  const dir = join(stateDir, 'control');
  const path = join(dir, 'runner.sock');
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return { dir, path };
  const shared = join(tmpdir(), `coord-runner-${userInfo().uid}`);
  return { dir: shared, path: join(shared, `${id}.sock`) };
}
