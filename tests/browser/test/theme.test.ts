import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.js';
import { cleanUp, onCleanup, signIn, startServer, tempDir } from './helpers/stack.js';

afterEach(cleanUp);

/** The page's own colours, as the browser computed them. */
const colours = () => {
  const body = getComputedStyle(document.body);
  return { background: body.backgroundColor, text: body.color, scheme: body.colorScheme };
};

const LIGHT = { background: 'rgb(247, 247, 248)', text: 'rgb(28, 29, 33)', scheme: 'light' };
const DARK = { background: 'rgb(16, 17, 20)', text: 'rgb(230, 231, 235)', scheme: 'dark' };

describe('the theme in Chromium', () => {
  it("follows the system's light or dark until a person picks one, and the pick wins over the system", async () => {
    const dir = tempDir('theme');
    const server = await startServer(dir);
    const { browser, close } = await launchChromium();
    onCleanup(close);
    const page = await browser.newPage();
    await signIn(page, server);
    await page.getByRole('heading', { name: 'Board' }).waitFor();

    const under = async (system: 'light' | 'dark') => {
      await page.emulateMedia({ colorScheme: system });
      return page.evaluate(colours);
    };
    const pick = async (label: RegExp) => {
      await page.getByRole('button', { name: /^Theme: / }).click();
      await page.getByRole('button', { name: label }).waitFor();
    };
    expect(await under('light')).toMatchObject({ ...LIGHT, scheme: 'light dark' });
    expect(await under('dark')).toMatchObject({ ...DARK, scheme: 'light dark' });
    await pick(/^Theme: light$/);
    expect(await under('dark')).toEqual(LIGHT);
    await pick(/^Theme: dark$/);
    expect(await under('light')).toEqual(DARK);
    await pick(/^Theme: system$/);
    expect(await under('dark')).toMatchObject({ background: DARK.background, text: DARK.text });
  });
});
