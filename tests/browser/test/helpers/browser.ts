import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs it); never a downloaded browser. */
export const CHROMIUM = process.env['COORD_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where screenshots go: the package's test output, next to vitest's report. */
export const SCREENSHOTS = fileURLToPath(new URL('../../.reports/screenshots/', import.meta.url));

/** Headless Chromium with a fresh profile and the flags these machines need. */
export async function launchChromium(
  extraArgs: string[] = [],
): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set COORD_CHROMIUM.`,
    );
  }
  // playwright gives every launch a fresh temporary profile (the --user-data-dir STACK.md asks for).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      ...extraArgs,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** A screenshot of the page in the light theme and in the dark one (prefers-color-scheme), under `dir`. */
export async function screenshots(page: Page, name: string, dir = SCREENSHOTS): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(50);
    const file = join(dir, `${name}-${scheme}.png`);
    await page.screenshot({ path: file });
    files.push(file);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return files;
}
