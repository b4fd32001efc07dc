// The runner process of `pnpm bench events` (see events.ts): plain node on the packages' builds,
// as `coord-runner` runs, so its memory is the runner's and not the benchmark harness's. It runs
// one Claude Code job to the end and prints its figures as one JSON line.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import { createClaudeCodeAgent } from '@coord/runner-agents';
import {
  createCoordClient,
  createFileEventSpool,
  createLocalWorkspaces,
  createRunner,
} from '@coord/runner-core';

const { serverUrl, token, root, cli } = JSON.parse(process.argv[2]);

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
