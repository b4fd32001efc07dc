// The baseline of `pnpm bench events` (see events.ts): bare JSON.parse of the stream's lines, in a
// plain node process of its own, so that its heap never counts in the runner process's memory.
// Prints its figures as one JSON line.
import { closeSync, openSync, readSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { StringDecoder } from 'node:string_decoder';

const file = process.argv[2];

function cpuMsSince(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** Reading and splitting the lines is not timed; parsing them is. */
function rawParse() {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(8 * 1024 * 1024);
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let parseMs = 0;
  let parseCpuMs = 0;
  let lines = 0;
  const parseAll = (slice) => {
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (const line of slice) JSON.parse(line);
    parseMs += performance.now() - t;
    parseCpuMs += cpuMsSince(cpu);
    lines += slice.length;
  };
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const text = carry + decoder.write(buffer.subarray(0, n));
      const end = text.lastIndexOf('\n');
      carry = text.slice(end + 1);
      parseAll(text.slice(0, end).split('\n'));
    }
    if (carry) parseAll([carry]);
  } finally {
    closeSync(fd);
  }
  return { lines, parseMs, parseCpuMs };
}

process.stdout.write(`${JSON.stringify(rawParse())}\n`);
