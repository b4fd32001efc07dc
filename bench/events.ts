import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCoordClient } from '@coord/runner-core';
import { writeClaudeStream } from './claude-stream.js';
import { startProcess, startServerProcess } from './processes.js';

/**
 * Event throughput of the runner's real pipeline, in three processes. The CLI: a stand-in for
 * Claude Code (claude-replay.mjs) printing a recorded `--include-partial-messages` turn `lines`
 * lines long. The runner (events-runner.mjs, plain node on the builds): its Claude adapter runs
 * that CLI for one job, and the lines go the way of any Claude Code run: split, parsed and
 * normalized by the adapter, re-cut and redacted by the attempt, spooled to disk and uploaded in
 * batches. The server: the local server's own bin. The clock stops when the job is done, which
 * the server accepts only once it holds every event.
 *
 * - `events`: agent output lines pushed through (the CLI's lines).
 * - `server_events`: the job events they became on the server (partial-message deltas re-cut
 *   into fewer text events; stream bookkeeping whose content comes again whole, not repeated).
 * - `raw_parse_per_s`: bare JSON.parse of the same lines, in a node process of its own, once
 *   before the runner's job and once after it: this machine's speed drifts within seconds, and
 *   the two passes around the pipeline measure the phase it ran in, where one pass after it did
 *   not (`raw_parse_before_per_s` and `raw_parse_after_per_s` say how far they differed).
 * - `runner_pipeline_per_s`: lines from the first agent event to the last one spooled (split,
 *   parse, normalize, redact, spool; uploads run alongside, as in any run).
 * - `events_per_s`: lines from the first agent event to the server's acknowledgement of all.
 * - `peak_rss_mb`, `runner_cpu_s`: of the runner process, to the job's end.
 * - `raw_parse_cpu_us_per_line`, `pipeline_cpu_us_per_line`, `cpu_ratio`: the same comparison in
 *   the runner process's CPU time (the pipeline's includes the uploads), which a busy machine
 *   distorts far less than the rates.
 *
 * `--profile <dir>` writes the runner process's CPU profile there (open it in Chrome DevTools).
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      lines: { type: 'string', default: '1000000' },
      events: { type: 'string' },
      // A directory: the runner process writes its CPU profile (`node --cpu-prof`) there.
      profile: { type: 'string' },
    },
  });
  const result = await measureEvents({
    lines: Number(values.events ?? values.lines),
    ...(values.profile ? { profileDir: values.profile } : {}),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface EventsResult {
  bench: 'events';
  events: number;
  stream_mb: number;
  server_events: number;
  raw_parse_per_s: number;
  raw_parse_before_per_s: number;
  raw_parse_after_per_s: number;
  runner_pipeline_per_s: number;
  ratio: number;
  events_per_s: number;
  elapsed_ms: number;
  peak_rss_mb: number;
  runner_cpu_s: number;
  raw_parse_cpu_us_per_line: number;
  pipeline_cpu_us_per_line: number;
  cpu_ratio: number;
  job_status: string;
  node: string;
}

/** What events-runner.mjs prints. */
interface RunnerFigures {
  jobId: string;
  submitToDoneMs: number;
  pipelineMs: number;
  endToEndMs: number;
  peakRss: number;
  cpuMs: number;
  pipelineCpuMs: number;
}

/** What raw-parse.mjs prints. */
interface RawParseFigures {
  lines: number;
  parseMs: number;
  parseCpuMs: number;
}

/** The baseline: bare JSON.parse of the lines file, in a process of its own. */
async function rawParse(linesFile: string): Promise<RawParseFigures> {
  const parse = startProcess(
    [fileURLToPath(new URL('./raw-parse.mjs', import.meta.url)), linesFile],
    (output) => /^(\{.*\})\s*$/m.exec(output)?.[1],
  );
  const figures = JSON.parse(await parse.ready) as RawParseFigures;
  await parse.stop();
  return figures;
}

const perS = (lines: number, ms: number) => Math.round((lines / ms) * 1000);

export async function measureEvents(options: { lines: number; profileDir?: string }): Promise<EventsResult> {
  const count = options.lines;
  const root = mkdtempSync(join(tmpdir(), 'coord-bench-events-'));
  const server: { stop(): Promise<void> } = { stop: async () => undefined };
  try {
    const linesFile = join(root, 'lines.ndjson');
    const { bytes } = writeClaudeStream(linesFile, count);
    const cli = join(root, 'claude.mjs');
    copyFileSync(fileURLToPath(new URL('./claude-replay.mjs', import.meta.url)), cli);
    chmodSync(cli, 0o755);

    const dataDir = join(root, 'server');
    const serverProcess = await startServerProcess(dataDir);
    server.stop = serverProcess.stop;
    const { url: serverUrl, token } = serverProcess;

    const before = await rawParse(linesFile);
    const runner = startProcess(
      [
        ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []),
        fileURLToPath(new URL('./events-runner.mjs', import.meta.url)),
        JSON.stringify({ serverUrl, token, root, cli }),
      ],
      (output) => /^(\{.*\})\s*$/m.exec(output)?.[1],
    );
    const figures = JSON.parse(await runner.ready) as RunnerFigures;
    await runner.stop();
    const after = await rawParse(linesFile);
    const rawLines = before.lines + after.lines;
    const rawParseMs = before.parseMs + after.parseMs;
    const rawParseCpuMs = before.parseCpuMs + after.parseCpuMs;

    const client = createCoordClient({ baseUrl: serverUrl, token });
    const view = await client.getJob(figures.jobId);
    const rawPerS = (rawLines / rawParseMs) * 1000;
    const pipelinePerS = (count / figures.pipelineMs) * 1000;
    return {
      bench: 'events',
      events: count,
      stream_mb: Math.round(bytes / 1024 / 1024),
      server_events: view.attempts[0]?.eventsAcked ?? 0,
      raw_parse_per_s: Math.round(rawPerS),
      raw_parse_before_per_s: perS(before.lines, before.parseMs),
      raw_parse_after_per_s: perS(after.lines, after.parseMs),
      runner_pipeline_per_s: Math.round(pipelinePerS),
      ratio: round2(pipelinePerS / rawPerS),
      events_per_s: Math.round((count / figures.endToEndMs) * 1000),
      elapsed_ms: Math.round(figures.submitToDoneMs),
      peak_rss_mb: Math.round(figures.peakRss / 1024 / 1024),
      runner_cpu_s: Math.round(figures.cpuMs / 100) / 10,
      raw_parse_cpu_us_per_line: round2((rawParseCpuMs * 1000) / rawLines),
      pipeline_cpu_us_per_line: round2((figures.pipelineCpuMs * 1000) / count),
      cpu_ratio: round2(rawParseCpuMs / rawLines / (figures.pipelineCpuMs / count)),
      job_status: view.status,
      node: process.version,
    };
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;
