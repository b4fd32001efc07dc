import { copyFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const browser: Options = {
  format: ['esm'],
  platform: 'browser',
  target: 'es2022',
  noExternal: [/.*/],
  minify: true,
  sourcemap: false,
  clean: false, // the build script empties dist once for every bundle
  define: { 'process.env.NODE_ENV': '"production"' },
  esbuildOptions: (options) => {
    options.jsx = 'automatic';
  },
};

export default defineConfig([
  {
    // The main process: ESM, electron and the workspace's packages resolved at run time.
    entry: { main: 'src/main/main.ts' },
    outDir: 'dist/main',
    format: ['esm'],
    platform: 'node',
    target: 'node22',
    external: ['electron'],
    sourcemap: true,
    clean: false,
  },
  {
    // A sandboxed preload can require nothing but electron: one CommonJS file with its schemas inside.
    entry: { preload: 'src/preload/preload.ts' },
    outDir: 'dist/preload',
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    platform: 'node',
    target: 'node22',
    external: ['electron'],
    noExternal: [/^(?!electron$).*/],
    clean: false,
  },
  {
    // The renderer: one script and one stylesheet beside its page.
    ...browser,
    entry: { renderer: 'src/renderer/main.tsx' },
    outDir: 'dist/renderer',
    onSuccess: async () => copyFileSync('src/renderer/index.html', 'dist/renderer/index.html'),
  },
  {
    // The browser harness's stand-in for the preload: the same API over HTTP (tests and the bench only).
    ...browser,
    entry: { 'harness-preload': 'test/harness/harness-preload.ts' },
    outDir: 'dist/harness',
  },
]);
