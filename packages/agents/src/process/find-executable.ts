import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';

/** A regular file this process may run (any file on Windows, where there is no x bit). */
export async function isExecutableFile(candidate: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    if (!(await stat(candidate)).isFile()) return false;
    if (platform !== 'win32') await access(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a program the way a shell would, without a shell: a name with a path separator is taken
 * as is; otherwise each PATH entry is tried in order, with the PATHEXT extensions on Windows.
 */
export async function findExecutable(
  name: string,
  options: { path: string; pathExt?: string; platform?: NodeJS.Platform },
): Promise<string | null> {
  const platform = options.platform ?? process.platform;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const exts =
    platform === 'win32'
      ? (options.pathExt ?? '.COM;.EXE;.BAT;.CMD')
          .split(';')
          .filter(Boolean)
          .map((e) => e.toLowerCase())
      : [''];
  const hasExt = platform === 'win32' && exts.includes(p.extname(name).toLowerCase());
  const suffixes = hasExt ? [''] : exts;

  if (name.includes('/') || (platform === 'win32' && name.includes('\\'))) {
    for (const suffix of suffixes) if (await isExecutableFile(name + suffix, platform)) return name + suffix;
    return null;
  }
  const delimiter = platform === 'win32' ? ';' : ':';
  for (const dir of options.path.split(delimiter)) {
    if (!dir) continue;
    for (const suffix of suffixes) {
      const candidate = p.join(dir.replace(/^"(.*)"$/, '$1'), name + suffix);
      if (await isExecutableFile(candidate, platform)) return candidate;
    }
  }
  return null;
}
