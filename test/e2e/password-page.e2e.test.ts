import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  DESKTOP_LIGHT,
  MOBILE_DARK,
  describeInBrowser,
  launchChromium,
  runAxe,
  serveTargetSite,
  startSnip,
  TARGET_BODY,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

// The page of a password-protected link, in a browser with JavaScript and without: a link is
// protected from the home form, its page asks for the password without showing the target, passes
// axe-core, refuses a wrong password and lets the right one through; the unlock is remembered.

const TARGET = 'https://example.com/plans/2027?draft=1';
const PASSWORD = 'open sesame';

let server: SnipServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function openContext(options: BrowserContextOptions): Promise<{
  page: Page;
  problems: string[];
}> {
  const context = await browser.newContext({ ...options, baseURL: server.baseUrl });
  contexts.push(context);
  const problems = watchForProblems(context);
  const page = await context.newPage();
  await serveTargetSite(context, page);
  return { page, problems };
}

/** axe-core runs as a script in the page: only where the page may run scripts. */
async function expectNoAxeViolations(page: Page, scripts: boolean): Promise<void> {
  if (!scripts) return;
  const axe = await runAxe(page);
  expect(axe.violations).toEqual([]);
}

describeInBrowser('the password page of a protected link', () => {
  beforeAll(async () => {
    server = await startSnip();
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.stop();
  });

  for (const [mode, options] of [
    ['with JavaScript', DESKTOP_LIGHT],
    ['without JavaScript', { ...MOBILE_DARK, javaScriptEnabled: false }],
  ] as const) {
    it(`when a visitor opens a protected link ${mode}, then the page asks for the password, hides the target, and the right password leads on`, async () => {
      const { page, problems } = await openContext(options);
      const scripts = (options as BrowserContextOptions).javaScriptEnabled !== false;
      const alias = `locked-${mode.startsWith('with ') ? 'js' : 'nojs'}`;
      // Protected from the home form, under "More options".
      await page.goto('/');
      await page.click('summary');
      await page.fill('#url', TARGET);
      await page.fill('#alias', alias);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(/\/manage\//), page.click('button[type="submit"]')]);
      expect(await page.content()).not.toContain(PASSWORD);

      const first = await page.goto(`/${alias}`);
      expect(first?.status()).toBe(401);
      expect(await page.locator('h1').innerText()).toBe('This link is protected');
      expect(await page.content()).not.toContain('example.com/plans');
      await expectNoAxeViolations(page, scripts);

      await page.fill('#password', 'not the password');
      const [wrong] = await Promise.all([
        page.waitForResponse((res) => res.request().method() === 'POST'),
        page.press('#password', 'Enter'),
      ]);
      expect(wrong.status()).toBe(401);
      await page.waitForLoadState();
      expect(await page.locator('.field-error').innerText()).toContain('not the password');
      expect(await page.inputValue('#password')).toBe('');
      expect(await page.content()).not.toContain('example.com/plans');
      await expectNoAxeViolations(page, scripts);

      await page.fill('#password', PASSWORD);
      await Promise.all([
        page.waitForURL((url) => url.href === TARGET),
        page.click('button[type="submit"]'),
      ]);
      expect(await page.locator('body').innerText()).toBe(TARGET_BODY);

      // The unlock is remembered for this link: the next visit goes straight on.
      await Promise.all([
        page.waitForURL((url) => url.href === TARGET),
        page.goto(`${server.baseUrl}/${alias}`).catch(() => null),
      ]);
      expect(problems).toEqual([]);
    });
  }
});
