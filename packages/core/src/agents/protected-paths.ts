import { isAbsolute, relative, resolve } from 'node:path';

/**
 * The default permission policy's rule for the runner's own secrets: an agent runs as the runner's
 * OS user, so it could read the runner's state dir (the Coord token in `credentials`, the spool,
 * the mirrors) unless told not to. Every path an agent tool reads or writes is checked against the
 * attempt's protected paths (AgentRunInput.protectedPaths); its own work dir stays allowed even
 * when it lives inside the state dir. Pass real paths (symlinks resolved) on both sides.
 *
 * A shell command cannot be policed by path: for `run` steps and shell tools, redaction of every
 * event and the pre-push secret scan are the defence.
 */
export function isProtectedPath(target: string, protectedPaths: readonly string[], workDir: string): boolean {
  const path = resolve(target);
  if (isInside(resolve(workDir), path)) return false;
  return protectedPaths.some((root) => isInside(resolve(root), path));
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
