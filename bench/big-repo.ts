import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BigRepoShape {
  files: number;
  commits: number;
  /** The pack should come out at least this large (MB). */
  packMb: number;
}

export interface BigRepo {
  /** A bare repository whose `main` has `commits` commits touching `files` files. */
  dir: string;
  packBytes: number;
  generatedNow: boolean;
}

/** Lines of base64 text: source-like, but with the entropy of real history, so git cannot squeeze it away. */
function text(bytes: number): Buffer {
  const raw = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');
  return Buffer.from(`${raw.slice(0, bytes).replace(/(.{76})/g, '$1\n')}\n`);
}

function pathOf(index: number): string {
  // 20,000 files: src/pkg0..pkg199/mod0..mod9/file<n>.ts, ten files a directory, as source trees go.
  return `src/pkg${index % 200}/mod${Math.floor(index / 200) % 10}/file${index}.ts`;
}

function packBytes(dir: string): number {
  const packs = join(dir, 'objects', 'pack');
  return readdirSync(packs)
    .filter((name) => name.endsWith('.pack'))
    .reduce((sum, name) => sum + statSync(join(packs, name)).size, 0);
}

/**
 * A repository shaped like a mid-sized real one, written by `git fast-import` (seconds, where
 * thousands of `git commit` would take many minutes) and cached under the OS tmp dir by shape,
 * so only the first bench run pays for it. Commit 1 adds every file; each later one rewrites
 * three of them. File sizes are chosen so that the pack reaches `packMb`.
 */
export async function bigRepo(shape: BigRepoShape): Promise<BigRepo> {
  const cacheRoot = join(tmpdir(), 'coord-bench-checkout-cache');
  const dir = join(cacheRoot, `v1-f${shape.files}-c${shape.commits}-p${shape.packMb}.git`);
  if (existsSync(join(dir, 'coord-bench-complete'))) {
    return { dir, packBytes: packBytes(dir), generatedNow: false };
  }
  mkdirSync(cacheRoot, { recursive: true });
  const building = `${dir}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const env = { PATH: process.env['PATH'] ?? '', HOME: cacheRoot, GIT_CONFIG_NOSYSTEM: '1' };
  const git = (args: string[], input?: (write: (chunk: Buffer | string) => Promise<void>) => Promise<void>) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('git', args, { env, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited ${code}`)),
      );
      if (input && child.stdin) {
        const stdin = child.stdin;
        const write = (chunk: Buffer | string) =>
          new Promise<void>((ok) => (stdin.write(chunk) ? ok() : stdin.once('drain', ok)));
        input(write).then(
          () => stdin.end(),
          (error: unknown) => {
            child.kill();
            reject(error as Error);
          },
        );
      }
    });

  await git(['init', '--quiet', '--bare', '--initial-branch=main', building]);
  // Random text compresses to about 3/4: size the blobs so the pack lands just over the target.
  const rawTarget = (shape.packMb * 1024 * 1024 * 4) / 3 + 8 * 1024 * 1024;
  const changes = (shape.commits - 1) * 3;
  const blobBytes = Math.ceil(rawTarget / (shape.files + changes));
  const started = Date.now();
  await git(['--git-dir', building, 'fast-import', '--quiet', '--done'], async (write) => {
    const commit = async (n: number, paths: string[]) => {
      const message = `Change ${n}\n`;
      await write(
        `commit refs/heads/main\ncommitter Bench <bench@example.test> ${1_700_000_000 + n * 60} +0000\n` +
          `data ${Buffer.byteLength(message)}\n${message}`,
      );
      for (const path of paths) {
        const blob = text(blobBytes);
        await write(`M 100644 inline ${path}\ndata ${blob.length}\n`);
        await write(blob);
        await write('\n');
      }
    };
    await commit(
      1,
      Array.from({ length: shape.files }, (_, i) => pathOf(i)),
    );
    for (let n = 2; n <= shape.commits; n++) {
      await commit(
        n,
        [0, 1, 2].map((k) => pathOf((n * 7919 + k * 104_729) % shape.files)),
      );
    }
    await write('done\n');
  });
  writeFileSync(join(building, 'coord-bench-complete'), `${Date.now() - started} ms\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return { dir, packBytes: packBytes(dir), generatedNow: true };
}
