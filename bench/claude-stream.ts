import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * A long Claude Code turn for `pnpm bench events`, made of what the pinned CLI really printed with
 * `--include-partial-messages` (packages/agents/test/fixtures/claude-code-2.1.332/partial-messages.jsonl,
 * recorded by tests/agents): its init line, then its turn body (a tool call and its output, an
 * answer streamed word by word) again and again, then its result. Each repeat gets its own tool
 * call id, as a real turn's calls would. Written to a file in slices, so that a million lines never
 * sit in the runner process's memory (its peak RSS is measured).
 */
export function writeClaudeStream(file: string, count: number): { bytes: number } {
  if (count < 2) throw new Error('a Claude Code turn has at least its init and result lines');
  const recorded = readFileSync(recordedTranscript(), 'utf8').split('\n').filter(Boolean);
  const body = recorded.slice(1, -1);
  const toolIds = [...new Set(body.join('\n').match(/toolu_[A-Za-z0-9]+/g) ?? [])];
  const fd = openSync(file, 'w');
  let bytes = 0;
  let slice: string[] = [];
  const flush = () => {
    const text = slice.join('');
    bytes += writeSync(fd, text);
    slice = [];
  };
  try {
    slice.push(`${recorded[0]!}\n`);
    let written = 1;
    for (let turn = 0; written < count - 1; turn++) {
      for (const line of body) {
        if (written === count - 1) break;
        let out = line;
        for (const [i, id] of toolIds.entries()) out = out.split(id).join(`toolu_bench${turn}x${i}`);
        slice.push(`${out}\n`);
        written += 1;
      }
      if (slice.length > 20_000) flush();
    }
    slice.push(`${recorded.at(-1)!}\n`);
    flush();
  } finally {
    closeSync(fd);
  }
  return { bytes };
}

function recordedTranscript(): string {
  const agents = dirname(createRequire(import.meta.url).resolve('@coord/runner-agents/package.json'));
  return join(agents, 'test/fixtures/claude-code-2.1.332/partial-messages.jsonl');
}
