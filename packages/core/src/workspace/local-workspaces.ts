import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { LocalOutputFile, LocalWorkspacePort } from '../runner/ports.js';

/** Files larger than this are not uploaded as outputs (protocol MAX_ARTIFACT_BYTES is the hard cap). */
const MAX_OUTPUT_FILES = 1000;

/**
 * Local jobs: each attempt gets `<root>/<jobId>/attempt-<n>`; every regular file the agent leaves
 * there is an output. Symlinks are not followed, so an agent cannot make the runner upload files
 * from outside its work directory.
 */
export function createLocalWorkspaces(options: { root: string }): LocalWorkspacePort {
  return {
    async prepare({ job, attempt }) {
      const workDir = join(options.root, job.id, `attempt-${attempt.number}`);
      await mkdir(workDir, { recursive: true, mode: 0o700 });
      return { workDir };
    },
    async collectOutputs(workDir) {
      const files: LocalOutputFile[] = [];
      const walk = async (dir: string): Promise<void> => {
        const entries = await readdir(dir, { withFileTypes: true });
        entries.sort((a, b) => a.name.localeCompare(b.name));
        for (const entry of entries) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else if (entry.isFile() && files.length < MAX_OUTPUT_FILES) {
            const { size } = await stat(full);
            files.push({
              path: relative(workDir, full).split(sep).join('/'),
              size,
              read: () => readFile(full),
            });
          }
        }
      };
      await walk(workDir);
      return files;
    },
    async release(workDir) {
      const root = resolve(options.root);
      const target = resolve(workDir);
      // Only ever what this port made: a path outside its root is left alone.
      if (!target.startsWith(root + sep)) return;
      await rm(target, { recursive: true, force: true });
      await rmdir(dirname(target)).catch(() => undefined); // the job's dir, once it is empty
    },
  };
}
