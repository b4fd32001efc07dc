import { afterEach } from 'vitest';

const cleanups: Array<() => Promise<void> | void> = [];

// Runs after every test of a file that imports this module, newest first (a runner stops before
// the server it talks to, the server before its data dir is removed).
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}
