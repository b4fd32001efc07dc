import { defineConfig } from 'tsup';

export default defineConfig({
  // `protected-paths` has no dependencies: the demo agent's own process bundles it.
  entry: {
    index: 'src/index.ts',
    machine: 'src/machine/index.ts',
    'protected-paths': 'src/agents/protected-paths.ts',
    // Only the control API's schemas: what `coord-runner status` loads to talk to a runner.
    'control-api': 'src/control/control-api.ts',
    // Talking to a running runner over its local endpoint (the CLI's commands, the desktop app).
    'control-client': 'src/control/endpoint-client.ts',
    // The error type and the redactor, for a CLI that reports failures without loading the runner.
    errors: 'src/errors.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
