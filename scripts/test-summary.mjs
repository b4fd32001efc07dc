#!/usr/bin/env node
// Prints one `N passed, N failed` line from every package's vitest JSON report (.reports/vitest.json).
// CI reads this line, not vitest's own summary. A package whose tests did not run (no report) is
// named, and counts as one failure so that a crash before the report cannot pass unnoticed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const listing = execFileSync('git', ['ls-files', '--', '*/package.json'], { cwd: root, encoding: 'utf8' });
let passed = 0;
let failed = 0;
// Workspace packages only: the root's own `test` script is the turbo run that produced the reports.
for (const manifest of listing.split('\n').filter(Boolean)) {
  const dir = join(root, manifest, '..');
  const pkg = JSON.parse(readFileSync(join(root, manifest), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const report = join(dir, '.reports', 'vitest.json');
  if (!existsSync(report)) {
    console.error(`no test report for ${pkg.name} (its tests did not run or crashed)`);
    failed += 1;
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  if (json.numFailedTestSuites > 0 && (json.numFailedTests ?? 0) === 0) {
    console.error(`${pkg.name}: ${json.numFailedTestSuites} test file(s) failed to load`);
    failed += json.numFailedTestSuites;
  }
}
console.log(`${passed} passed, ${failed} failed`);
