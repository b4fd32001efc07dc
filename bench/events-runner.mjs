// The runner process of `pnpm bench events` (see events.ts): plain node on the packages' builds,
// as `coord-runner` runs, so its memory is the runner's and not the benchmark harness's. It runs
// one Claude Code job to the end, then JSON.parses the same lines bare, and prints its figures
// as one JSON line.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { StringDecoder } from 'node:string_decoder';
import { clearInterval, setInterval } from 'node:timers';
import { createClaudeCodeAgent } from '@coord/runner-agents';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
} from '@coord/runner-core';

const { serverUrl, token, root, cli, linesFile } = JSON.parse(process.argv[2]);

const client = createCoordClient({ baseUrl: serverUrl, token });
const runner = createRunner({
  client,
  identity: {
    machineId: 'bench-events',
    name: 'bench-events',
    platform: 'linux',
    arch: 'x64',
    version: 'bench',
  },
  agents: [createClaudeCodeAgent({ detect: { configuredPath: cli } })],
  local: createLocalWorkspaces({ root: join(root, 'work') }),
  spool: createFileEventSpool(join(root, 'spool')),
  // Registered secrets are what every chunk is searched for, as with a real API key.
  secrets: ['sk-ant-api03-bench-key-not-a-real-one-0123456789abcdef'],
});

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
let firstAgentEvent = 0;
let lastSpooled = 0;
// CPU time over the same span: on a busy machine it says what the rates cannot.
let cpuAtFirst = null;
let pipelineCpuMs = 0;
let done;
const finished = new Promise((resolve) => (done = resolve));
runner.events$.subscribe((event) => {
  // Job events reach subscribers once they are spooled.
  if (event.type === 'job.agent') {
    if (firstAgentEvent === 0) {
      firstAgentEvent = performance.now();
      cpuAtFirst = process.cpuUsage();
    }
    if (event.event.type === 'process.exited') {
      lastSpooled = performance.now();
      pipelineCpuMs = cpuMsSince(cpuAtFirst);
    }
  }
  if (event.type === 'job.state' && event.state === 'done') done();
});

await runner.start();
const started = performance.now();
const job = await client.submitJob('local', {
  title: 'a long Claude Code turn',
  instructions: 'print a lot',
  context: { type: 'local' },
  agent: { id: 'claude-code' },
  routing: { mode: 'any' },
});
await finished;
const ended = performance.now();
const cpu = process.cpuUsage();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());

process.stdout.write(
  `${JSON.stringify({
    jobId: job.id,
    submitToDoneMs: ended - started,
    pipelineMs: lastSpooled - firstAgentEvent,
    endToEndMs: ended - firstAgentEvent,
    peakRss,
    cpuMs: (cpu.user + cpu.system) / 1000,
    pipelineCpuMs,
    ...rawParse(linesFile),
  })}\n`,
);
// The figures are out; the benchmark ends this process once it has read them. Ending it with
// exit() rather than by the signal lets `node --cpu-prof` write its profile.
process.once('SIGTERM', () => process.exit(0));
await runner.stop();

function cpuMsSince(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** JSON.parse alone over the same lines (reading and splitting them is not timed). */
function rawParse(file) {
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
  return { rawLines: lines, rawParseMs: parseMs, rawParseCpuMs: parseCpuMs };
}
