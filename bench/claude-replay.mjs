#!/usr/bin/env node
// A stand-in for the `claude` CLI for `pnpm bench events`, copied next to the `lines.ndjson` it
// prints: it speaks the stream-json protocol like the real one (reads the prompt from stdin, prints
// its lines, exits once stdin closes), so the runner's Claude adapter drives it unchanged.
import { createReadStream } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

if (process.argv.includes('--version')) {
  process.stdout.write('2.1.332 (Claude Code)\n');
  process.exit(0);
}
let stdin = '';
let printing = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  stdin += chunk;
  if (printing || !stdin.includes('\n')) return;
  printing = true;
  createReadStream(new URL('lines.ndjson', import.meta.url), { highWaterMark: 256 * 1024 }).pipe(
    process.stdout,
    { end: false },
  );
});
// The adapter closes stdin once it has read the turn's result.
process.stdin.on('end', () => process.exit(0));
