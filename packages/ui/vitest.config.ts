import { coordProject } from '@coord/vitest-config';

export default coordProject('ui', {
  include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
  environment: 'happy-dom',
  setupFiles: ['test/setup.ts'],
});
