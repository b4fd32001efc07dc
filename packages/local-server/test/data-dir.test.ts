import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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

describe('the port across restarts', () => {
  it("keepPort listens on the last run's port again, so runners stay signed in to the address", async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await startLocalServer({ dataDir, keepPort: true });
    await first.close();
    const second = await startLocalServer({ dataDir, keepPort: true });
    try {
      expect(second.url).toBe(first.url);
      expect(second.movedFrom).toBeNull();
      // Jobs' forge URLs carry the same address.
      expect(second.store.baseUrl).toBe(first.url);
    } finally {
      await second.close();
    }
  });

  it('takes another port when the last one is taken, and says which it was', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await startLocalServer({ dataDir, keepPort: true });
    await first.close();
    const port = Number(new URL(first.url).port);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const second = await startLocalServer({ dataDir, keepPort: true });
      try {
        expect(second.url).not.toBe(first.url);
        expect(second.movedFrom).toBe(first.url);
      } finally {
        await second.close();
      }
      // The new port is the one kept from now on.
      const third = await startLocalServer({ dataDir, keepPort: true });
      await third.close();
      expect(readFileSync(join(dataDir, 'last-port'), 'utf8').trim()).toBe(new URL(third.url).port);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('a last-port file that is not a port is ignored; without keepPort it is neither read nor written', async () => {
    const dataDir = join(tempDir(), 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'last-port'), 'not a port\n');
    const server = await startLocalServer({ dataDir, keepPort: true });
    await server.close();
    const kept = readFileSync(join(dataDir, 'last-port'), 'utf8');
    expect(kept.trim()).toBe(new URL(server.url).port);
    const plain = await startLocalServer({ dataDir, port: 0 });
    await plain.close();
    expect(readFileSync(join(dataDir, 'last-port'), 'utf8')).toBe(kept);
  });
});
