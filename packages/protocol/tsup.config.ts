import { defineConfig } from 'tsup';

export default defineConfig({
  // `names`: plain lists for command-line choices, without zod.
  entry: { index: 'src/index.ts', names: 'src/names.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
