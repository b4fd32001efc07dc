import { lstatSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MAX_ARTIFACT_BYTES } from '@coord/runner-protocol';
import { CoordError } from '../errors.js';
import type { LocalOutputFile, LocalWorkspacePort } from '../runner/ports.js';

export interface LocalWorkspacesOptions {
  root: string;
  /** At most this many output files (default 1000). */
  maxFiles?: number;
  /** At most this many bytes per file (default, and at most, the protocol's MAX_ARTIFACT_BYTES). */
  maxFileBytes?: number;
  /** At most this many bytes in all (default 200 MB). */
  maxTotalBytes?: number;
}

/** Where a link leads, or null when it leads nowhere (dangling, a loop). */
function realTarget(link: string): string | null {
  try {
    return realpathSync(link);
  } catch {
    return null;
  }
}

/**
 * Removes `dir` if it is an empty directory, or finds it gone; false otherwise (it holds something).
 * Asynchronous: an rmdir waits on the file system's journal (on ext4 about three times its CPU
 * time, more under load), which would hold every other job's events on the runner's thread.
 */
async function removeEmptyDir(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

const defaults = { maxFiles: 1000, maxTotalBytes: 200 * 1024 * 1024 };

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function listed(items: string[]): string {
  return items.slice(0, 5).join(', ') + (items.length > 5 ? ` and ${items.length - 5} more` : '');
}

function refused(message: string, details: Record<string, unknown>): CoordError {
  return new CoordError('artifact.refused', message, { retryable: false, details });
}

/**
 * Local jobs: each attempt gets `<root>/<jobId>/attempt-<n>`; the regular files the agent leaves
 * in its outputs folder are the deliverable. Links are never followed: one that leads outside the
 * work directory is refused by name (an agent must not make the runner upload files from
 * elsewhere), one that stays inside is left out (its target is uploaded if it is an output).
 *
 * The metadata calls that cost only CPU are synchronous, like the spool's: each is one short system
 * call on the runner's own disk, where the promise API's trip through the thread pool cost several
 * times the call (most of a short job's file system time). The outputs walk is bounded by
 * `maxFiles`, so it never blocks for long. Removals wait on the disk, and stay asynchronous.
 */
export function createLocalWorkspaces(options: LocalWorkspacesOptions): LocalWorkspacePort {
  const maxFiles = options.maxFiles ?? defaults.maxFiles;
  const maxFileBytes = Math.min(options.maxFileBytes ?? MAX_ARTIFACT_BYTES, MAX_ARTIFACT_BYTES);
  const maxTotalBytes = options.maxTotalBytes ?? defaults.maxTotalBytes;
  return {
    async prepare({ job, attempt }) {
      const workDir = join(options.root, job.id, `attempt-${attempt.number}`);
      mkdirSync(workDir, { recursive: true, mode: 0o700 });
      return { workDir };
    },
    async collectOutputs(workDir, { outputs } = {}) {
      const realWorkDir = realpathSync(workDir);
      const folder = resolve(workDir, outputs ?? '.');
      if (!inside(resolve(workDir), folder)) {
        throw refused(`The outputs folder ${JSON.stringify(outputs)} is outside the work directory.`, {
          outputs,
        });
      }
      // Without an outputs folder, the work directory itself (resolved above) holds the outputs.
      const ownFolder = folder === resolve(workDir);
      if (!ownFolder && !lstatSync(folder, { throwIfNoEntry: false })) return []; // no outputs folder made
      const realFolder = ownFolder ? realWorkDir : realpathSync(folder);
      if (!inside(realWorkDir, realFolder)) {
        throw refused(
          `The outputs folder ${JSON.stringify(outputs)} is a link that leads outside the work directory.`,
          {
            outputs,
          },
        );
      }
      if (!lstatSync(realFolder).isDirectory()) {
        throw refused(`The outputs folder ${JSON.stringify(outputs)} is not a folder.`, { outputs });
      }
      const files: (LocalOutputFile & { full: string })[] = [];
      const escaping: string[] = [];
      // Stops one file past the limit: that is refused anyway, and a huge tree is not walked.
      const walk = (dir: string): void => {
        const entries = readdirSync(dir, { withFileTypes: true });
        entries.sort((a, b) => a.name.localeCompare(b.name));
        for (const entry of entries) {
          if (files.length > maxFiles) return;
          const full = join(dir, entry.name);
          const path = relative(realFolder, full).split(sep).join('/');
          if (entry.isDirectory()) walk(full);
          else if (entry.isSymbolicLink()) {
            const target = realTarget(full);
            if (target === null || !inside(realWorkDir, target)) escaping.push(path);
          } else if (entry.isFile()) {
            const { size } = lstatSync(full);
            files.push({ path, size, full, read: () => readFile(full) });
          }
        }
      };
      walk(realFolder);
      if (escaping.length > 0) {
        throw refused(
          `Refusing to upload the outputs: ${listed(escaping)} ${escaping.length === 1 ? 'is a link' : 'are links'} leading outside the work directory. Copy the files in instead of linking them.`,
          { links: escaping.slice(0, 50) },
        );
      }
      if (files.length > maxFiles) {
        throw refused(
          `Refusing to upload the outputs: the attempt left more than the ${maxFiles} files allowed. Archive them into fewer files${outputs ? '' : ', or give the job an outputs folder'}.`,
          { maxFiles },
        );
      }
      const large = files.filter((file) => file.size > maxFileBytes);
      if (large.length > 0) {
        throw refused(
          `Refusing to upload the outputs: ${listed(large.map((f) => `${f.path} (${f.size} bytes)`))} ${large.length === 1 ? 'is' : 'are'} larger than the ${maxFileBytes} bytes a file may have.`,
          { files: large.slice(0, 50).map(({ path, size }) => ({ path, size })) },
        );
      }
      const total = files.reduce((sum, file) => sum + file.size, 0);
      if (total > maxTotalBytes) {
        throw refused(
          `Refusing to upload the outputs: together they are ${total} bytes, more than the ${maxTotalBytes} allowed.`,
          { total, maxTotalBytes },
        );
      }
      return files.map(({ path, size, read }) => ({ path, size, read }));
    },
    async release(workDir) {
      const root = resolve(options.root);
      const target = resolve(workDir);
      // Only ever what this port made: a path outside its root is left alone.
      if (!target.startsWith(root + sep)) return;
      // An empty work dir (most local jobs leave nothing behind) goes in one call; a tree, asynchronously.
      if (!(await removeEmptyDir(target))) await rm(target, { recursive: true, force: true });
      await removeEmptyDir(dirname(target)); // the job's dir, once it is empty
    },
  };
}
