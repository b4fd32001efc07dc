import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts' } },
    sourcemap: true,
    clean: false, // the build script empties dist once for both bundles
    target: 'node20',
  },
  {
    // The web app: one script and one stylesheet, served by the server itself (web/app-shell.ts).
    entry: { app: 'web-app/main.tsx' },
    outDir: 'dist/web-app',
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    noExternal: [/.*/],
    minify: true,
    sourcemap: false,
    clean: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    esbuildOptions: (options) => {
      options.jsx = 'automatic';
    },
  },
]);
