import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The runner process's output: kept on disk as its log (rotated at `maxBytes`), and its last
 * lines in memory, to say why it exited. The runner redacts secrets before it prints anything.
 */
export function createOutputBuffer(file: string, options: { lines?: number; maxBytes?: number } = {}) {
  const keep = options.lines ?? 20;
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const lines: string[] = [];
  let partial = '';
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return {
    write(chunk: Buffer | string): void {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line) lines.push(line);
      lines.splice(0, Math.max(0, lines.length - keep));
      try {
        if (statSafe(file) > maxBytes) renameSync(file, `${file}.1`);
        appendFileSync(file, chunk, { mode: 0o600 });
      } catch {
        // a full disk must not take the runner down with it; the lines in memory stay
      }
    },
    last: (): string => [...lines, partial].filter(Boolean).join('\n'),
  };
}

function statSafe(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
