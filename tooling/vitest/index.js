import { defineProject } from 'vitest/config';

/**
 * The shared test preset. Every package writes a JSON report to .reports/vitest.json so that
 * .ci/run can print one `N passed, N failed` line for the whole repository.
 * @param {string} name project name shown by vitest
 * @param {import('vitest/config').UserProjectConfigExport['test']} [overrides]
 */
export function coordProject(name, overrides = {}) {
  return defineProject({
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 20_000,
      ...overrides,
    },
  });
}
