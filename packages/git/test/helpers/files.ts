import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under a work tree, `.git` left out, `/`-separated and sorted. */
export async function checkedOutFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .filter((path) => !path.startsWith('.git/'))
    .sort();
}
