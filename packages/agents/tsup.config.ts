import { defineConfig } from 'tsup';

export default defineConfig({
  // The demo agent is a program of its own, started with process.execPath: a separate entry.
  entry: { index: 'src/index.ts', 'demo-agent-process': 'src/demo/demo-agent-process.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  // The demo agent's process loads nothing of the runner's at run time: this one rule is inlined.
  noExternal: ['@coord/runner-core/protected-paths'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
