import type { TestProjectInlineConfiguration, ViteUserConfig } from 'vitest/config';

export function coordProject(
  name: string,
  overrides?: NonNullable<TestProjectInlineConfiguration['test']>,
): ViteUserConfig;
