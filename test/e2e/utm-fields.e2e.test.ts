import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeInBrowser,
  DESKTOP_LIGHT,
  expectNoViolations,
  launchChromium,
  MOBILE_DARK,
  startSnip,
  submitAndFollow,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

/**
 * The UTM builder, the title and the note in a real browser, with and without JavaScript: filled
 * on the home page under "More options", shown back split on the management page, refused at the
 * field when too long; axe-core finds no violation on either page (where it can run: with
 * JavaScript).
 */

let server: SnipServer;
let browser: Browser;

describeInBrowser('the UTM fields, the title and the note in Chromium', () => {
  beforeAll(async () => {
    server = await startSnip();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [name, options, javaScriptEnabled] of [
    ['with JavaScript, desktop-light', DESKTOP_LIGHT, true],
    ['without JavaScript, mobile-dark', MOBILE_DARK, false],
  ] as const) {
    it(`when a person fills them (${name}), then the target carries the parameters and the management page splits them back`, async () => {
      const context = await browser.newContext({
        ...options,
        javaScriptEnabled,
        baseURL: server.baseUrl,
      });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        await page.goto('/');
        await page.click('summary');
        await page.fill('#url', 'https://example.com/landing?ref=1');
        await page.fill('#title', 'Spring sale');
        await page.fill('#note', 'For the April newsletter');
        await page.fill('#utm_source', 'newsletter');
        await page.fill('#utm_campaign', 'spring sale');
        await expectNoViolations(page, javaScriptEnabled);
        await submitAndFollow(page, 'form[action="/shorten"] button[type=submit]');

        expect(page.url()).toMatch(/\/manage\/[A-Za-z0-9_-]{32}\?created=1$/);
        expect(await page.locator('a.target').innerText()).toBe(
          'https://example.com/landing?ref=1&utm_source=newsletter&utm_campaign=spring%20sale',
        );
        expect(await page.inputValue('#url')).toBe('https://example.com/landing?ref=1');
        expect(await page.inputValue('#utm_source')).toBe('newsletter');
        expect(await page.inputValue('#utm_campaign')).toBe('spring sale');
        expect(await page.inputValue('#utm_medium')).toBe('');
        expect(await page.inputValue('#title')).toBe('Spring sale');
        expect(await page.inputValue('#note')).toBe('For the April newsletter');
        await expectNoViolations(page, javaScriptEnabled);

        // A value over 200 characters is refused at its field, with the page still accessible.
        await page.fill('#utm_medium', 'x'.repeat(201));
        await submitAndFollow(page, 'form.form button.button--primary');
        expect(await page.locator('#utm_medium-error').innerText()).toMatch(/at most 200/);
        expect(await page.getAttribute('#utm_medium', 'aria-invalid')).toBe('true');
        await expectNoViolations(page, javaScriptEnabled);

        // The preview shows the title and not the note.
        const shortUrl = await page.inputValue('#short-url');
        await page.goto(`${new URL(shortUrl).pathname}+`);
        const preview = await page.locator('main').innerText();
        expect(preview).toContain('Spring sale');
        expect(preview).not.toContain('April newsletter');
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
