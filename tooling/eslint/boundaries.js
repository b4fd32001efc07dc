// The layer rules of DESIGN.md section 2, enforced rather than hoped for.
const sideEffectLibs = [
  { name: 'electron', message: 'core is runtime-neutral: electron belongs to apps/desktop.' },
  { name: 'execa', message: 'core reaches processes through ports; execa belongs to @coord/runner-agents.' },
  { name: 'simple-git', message: 'core reaches git through ports; simple-git belongs to @coord/runner-git.' },
  { name: 'node:child_process', message: 'core never spawns processes; implement a port instead.' },
  { name: 'child_process', message: 'core never spawns processes; implement a port instead.' },
];
const apps = [
  { name: '@coord/runner-cli', message: 'Nothing imports an app: apps are composition roots.' },
  { name: '@coord/runner-desktop', message: 'Nothing imports an app: apps are composition roots.' },
];

/** @type {import('eslint').Linter.Config[]} */
export const boundaries = [
  {
    files: ['packages/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', '@coord/*'], message: 'protocol is pure schemas: no I/O, no other package.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...sideEffectLibs, ...apps],
          patterns: [
            {
              group: ['@octokit/*'],
              message: 'core reaches GitHub through ports; octokit belongs to @coord/runner-git.',
            },
            {
              group: ['@coord/runner-agents', '@coord/runner-git', '@coord/local-server'],
              message: 'core is the bottom layer above protocol: agents and git implement its ports.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/local-server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@coord/runner-core', '@coord/runner-agents', '@coord/runner-git', '@coord/runner-cli'],
              message: 'local-server is the other side of the wire: it depends on protocol only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/agents/**/*.ts', 'packages/git/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: apps,
          patterns: [
            { group: ['@coord/local-server'], message: 'Only tests may talk to the local server directly.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/ui/**/*.ts', 'packages/ui/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...sideEffectLibs, ...apps],
          patterns: [
            { group: ['node:*'], message: 'ui runs in browsers and renderers: no node modules.' },
            {
              group: ['@coord/*', '!@coord/runner-protocol'],
              message: 'ui depends on protocol types only (plus React): it draws what the wire carries.',
            },
          ],
        },
      ],
    },
  },
  {
    // The desktop renderer (and the contract it shares with the preload) runs in a sandboxed page:
    // it reaches the runner only through `window.coord`, never node, electron or core's runtime.
    files: ['apps/desktop/src/renderer/**/*.{ts,tsx}', 'apps/desktop/src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer reaches the app only through window.coord (the preload).',
            },
            ...sideEffectLibs.filter((lib) => lib.name !== 'electron'),
            ...apps,
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer is a sandboxed page: no node modules.' },
            {
              group: ['@coord/*', '!@coord/runner-protocol', '!@coord/runner-ui', '!@coord/runner-core'],
              message: 'The renderer draws with @coord/runner-ui and talks through the preload API only.',
            },
            {
              regex: '^@coord/runner-core(?!/control-api$)',
              message:
                "Only the control API's schemas and types (@coord/runner-core/control-api), not core's runtime.",
            },
          ],
        },
      ],
    },
  },
  {
    // Main-process modules are plain functions tested without Electron: only the composition
    // root (main.ts) and the preload touch electron itself.
    files: ['apps/desktop/src/main/**/*.ts', 'apps/desktop/src/preload/**/*.ts'],
    ignores: ['apps/desktop/src/main/main.ts', 'apps/desktop/src/preload/preload.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Take what you need of electron as a parameter; main.ts passes the real thing.',
            },
            ...apps,
          ],
        },
      ],
    },
  },
  {
    // Tests and build/test configuration are not part of any layer.
    files: ['**/*.test.ts', '**/*.test.tsx', '**/test/**/*.ts', '**/test/**/*.tsx', '**/*.config.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
];
