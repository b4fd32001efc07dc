import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    demoScript: string;
  }
}

/** Builds the demo agent program from source, so tests never run a stale dist. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'coord-demo-agent-'));
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  await build({
    entry: { 'demo-agent-process': path.join(root, 'src/demo/demo-agent-process.ts') },
    outDir,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    target: 'node20',
    platform: 'node',
    config: false,
    dts: false,
    noExternal: ['@coord/runner-core/protected-paths'],
    silent: true,
  });
  project.provide('demoScript', path.join(outDir, 'demo-agent-process.mjs'));
  return () => rm(outDir, { recursive: true, force: true });
}
