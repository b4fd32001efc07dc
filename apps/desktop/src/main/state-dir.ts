import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import envPaths from 'env-paths';

/**
 * The same state dir as `coord-runner` (DESIGN.md section 11), overridable with the same variable:
 * the app's runner and the CLI share its control endpoint, so `coord-runner status` sees it.
 */
export function desktopStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = resolve(env['COORD_RUNNER_STATE_DIR'] ?? envPaths('coord-runner', { suffix: '' }).data);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
