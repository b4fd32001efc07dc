import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createSecretSafeChunker, redactJson, registerSecret, type AgentEvent } from '@coord/runner-core';

/**
 * The cost of redacting agent output, which the runner pays on every event: output chunks go
 * through the secret-safe re-cutter and a deep redaction before they are spooled. Compared with
 * JSON.stringify of the same events (what spooling costs anyway), with a few registered secrets.
 */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      chunks: { type: 'string', default: '2000' },
      'chunk-bytes': { type: 'string', default: '65536' },
      secrets: { type: 'string', default: '4' },
    },
  });
  const result = measureRedaction({
    chunks: Number(values.chunks),
    chunkBytes: Number(values['chunk-bytes']),
    secrets: Number(values.secrets),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await Promise.resolve();
}

export function measureRedaction(options: { chunks: number; chunkBytes: number; secrets: number }) {
  for (let i = 0; i < options.secrets; i++) registerSecret(`bench-secret-${randomBytes(20).toString('hex')}`);
  // Lines of ordinary output, no secrets in them: the common case, and the one that must be cheap.
  const line = 'compiling src/module/file.ts ... ok (123 ms) warning: unused variable `x`\n';
  const chunk = line.repeat(Math.ceil(options.chunkBytes / line.length)).slice(0, options.chunkBytes);
  const events: AgentEvent[] = Array.from({ length: options.chunks }, () => ({
    type: 'tool.output',
    toolCallId: 't1',
    stream: 'stdout',
    chunk,
  }));

  let started = performance.now();
  let bytes = 0;
  for (const event of events) bytes += JSON.stringify({ event }).length;
  const stringifyMs = performance.now() - started;

  const chunker = createSecretSafeChunker();
  started = performance.now();
  let out = 0;
  for (const event of events) {
    for (const cut of chunker.push(event)) out += JSON.stringify(redactJson({ event: cut })).length;
  }
  const redactMs = performance.now() - started;
  const mb = (options.chunks * options.chunkBytes) / 1024 / 1024;
  return {
    bench: 'redact',
    chunks: options.chunks,
    chunk_bytes: options.chunkBytes,
    secrets: options.secrets,
    redact_and_stringify_mb_per_s: Math.round(mb / (redactMs / 1000)),
    stringify_only_mb_per_s: Math.round(mb / (stringifyMs / 1000)),
    us_per_chunk: Math.round((redactMs * 1000) / options.chunks),
    checksum: out > bytes / 2,
  };
}
