import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalServer } from '../src/index.js';
import { apiFor, submit, tempDir } from './helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('data dir permissions', () => {
  it('data dir, database, WAL and token file were readable by other local users (0755 / 0644)', async () => {
    // An existing data dir and token file with wide modes, as an older version (or a mkdir) left them.
    const dataDir = join(tempDir(), 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const fresh = join(tempDir(), 'fresh', 'nested');
    for (const dir of [dataDir, fresh]) {
      const server = await startLocalServer({ dataDir: dir });
      try {
        await submit(apiFor(server)); // a write, so the WAL and shm files exist
        for (const path of [dir, join(dir, 'artifacts'), join(dir, 'forge')]) {
          expect(mode(path), path).toBe(0o700);
        }
        for (const file of ['coord.db', 'coord.db-wal', 'coord.db-shm', 'token']) {
          expect(mode(join(dir, file)), file).toBe(0o600);
        }
      } finally {
        await server.close();
      }
    }
    // A restart tightens files that were widened in between.
    chmodSync(join(dataDir, 'coord.db'), 0o644);
    chmodSync(join(dataDir, 'token'), 0o644);
    chmodSync(dataDir, 0o755);
    const again = await startLocalServer({ dataDir });
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'coord.db'))).toBe(0o600);
      expect(mode(join(dataDir, 'token'))).toBe(0o600);
    } finally {
      await again.close();
    }
  });
});
