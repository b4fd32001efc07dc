import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isProtectedPath } from '@coord/runner-core/protected-paths';

export class PathRefusedError extends Error {
  override readonly name = 'PathRefusedError';
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `target`, or of its deepest existing ancestor joined with the rest. */
export async function realTarget(target: string): Promise<string> {
  const rest: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(await realpath(current), ...rest.reverse());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // A dangling symlink would be followed by the write: refuse rather than guess where it lands.
      const isLink = await lstat(current).then(
        (s) => s.isSymbolicLink(),
        () => false,
      );
      if (isLink) throw new PathRefusedError(`"${current}" is a symbolic link to a path that does not exist`);
      const parent = path.dirname(current);
      if (parent === current) return target;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Prepares `relativePath` for writing inside `workDir`: refuses absolute paths, `..` escapes and
 * symlinks that lead outside (resolved on disk, not just lexically), then creates the parent
 * directories. Returns the path to write.
 */
export async function prepareWritePath(workDir: string, relativePath: string): Promise<string> {
  if (relativePath === '' || path.isAbsolute(relativePath) || path.win32.isAbsolute(relativePath)) {
    throw new PathRefusedError(
      `refused to write "${relativePath}": only paths relative to the work directory are allowed`,
    );
  }
  const root = await realpath(workDir);
  const target = path.resolve(root, relativePath);
  const outside = new PathRefusedError(
    `refused to write "${relativePath}": it is outside the work directory`,
  );
  if (!isInside(root, target) || target === root) throw outside;
  if (!isInside(root, await realTarget(target))) throw outside;
  await mkdir(path.dirname(target), { recursive: true });
  // Check again now that the directories exist: a symlinked directory may have been created meanwhile.
  if (!isInside(root, await realTarget(target))) throw outside;
  return target;
}

/**
 * Refuses a path inside the runner's private state (the default permission policy, see core's
 * isProtectedPath), symlinks resolved on both sides so that a link in the work dir cannot reach it.
 */
export async function refuseProtected(
  workDir: string,
  target: string,
  protectedPaths: readonly string[],
  verb: 'read' | 'write',
): Promise<void> {
  if (protectedPaths.length === 0) return;
  const real = await realTarget(path.resolve(workDir, target));
  const roots = await Promise.all(protectedPaths.map((p) => realTarget(path.resolve(p))));
  if (isProtectedPath(real, roots, await realpath(workDir))) {
    throw new PathRefusedError(
      `refused to ${verb} "${target}": it is inside the runner's private state (its token, spool and mirrors), which agents may not touch`,
    );
  }
}
