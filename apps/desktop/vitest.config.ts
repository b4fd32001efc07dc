import { coordProject } from '@coord/vitest-config';

// Browser tests start Chromium, a local server and a runner: one file at a time on two cores.
export default coordProject('desktop', {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  fileParallelism: false,
  testTimeout: 90_000,
  hookTimeout: 60_000,
});
