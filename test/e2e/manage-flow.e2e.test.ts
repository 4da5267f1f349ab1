import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readColumn } from '../support/read-database.js';
import {
  DESKTOP_LIGHT,
  describeInBrowser,
  launchChromium,
  serveTargetSite,
  startSnip,
  TARGET_BODY,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

let server: SnipServer;
let browser: Browser;
let context: BrowserContext;

/** Submits the form the button belongs to and waits for the page the 303 leads to. */
async function submitAndFollow(page: Page, button: string, leaving: string): Promise<void> {
  await Promise.all([page.waitForURL((url) => url.href !== leaving), page.click(button)]);
}

describeInBrowser('managing a link in Chromium', () => {
  beforeAll(async () => {
    server = await startSnip();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('when the owner opens the management link, changes the target, follows it, deletes the link, then visitors get 410', async () => {
    const started = Date.now();
    // Headless Chromium says "HeadlessChrome" in its user agent, which snip rightly treats as a
    // bot; this test plays a person's browser, whose visit counts.
    const userAgent = (
      await browser.newBrowserCDPSession().then((cdp) => cdp.send('Browser.getVersion'))
    ).userAgent.replace('HeadlessChrome', 'Chrome');
    context = await browser.newContext({ ...DESKTOP_LIGHT, baseURL: server.baseUrl, userAgent });
    const problems = watchForProblems(context);
    const page = await context.newPage();
    await serveTargetSite(context, page);

    // Shorten: the result page is the management page, with the management link on it.
    await page.goto('/');
    await page.fill('#url', 'https://example.com/first-target');
    await submitAndFollow(page, 'button[type=submit]', page.url());
    const shortUrl = await page.inputValue('#short-url');
    const manageUrl = await page.inputValue('#manage-url');
    expect(manageUrl).toMatch(/\/manage\/[A-Za-z0-9_-]{32}$/);
    expect(await page.locator('img[src$=".svg"][alt^="QR code"]').count()).toBe(1);

    // Open the management link as its holder would, e.g. from a bookmark.
    await page.goto(manageUrl);
    expect(await page.locator('h1').innerText()).toBe('Manage your link');

    // Change the target, then follow the short link: it leads to the new target.
    await page.fill('#url', 'https://example.com/second-target');
    await submitAndFollow(
      page,
      'form[action$="/manage/' + manageUrl.split('/').at(-1) + '"] button[type=submit]',
      page.url(),
    );
    expect(await page.locator('.notice--success').innerText()).toContain('saved');
    const followed = await page.goto(shortUrl);
    expect(page.url()).toBe('https://example.com/second-target');
    expect(await page.locator('body').innerText()).toBe(TARGET_BODY);
    expect((await followed?.request().redirectedFrom()?.response())?.status()).toBe(302);

    // The visit reaches the database file within about a second (the page alone would also
    // count visits still in memory), then shows up on the management page.
    const code = shortUrl.split('/').at(-1)!;
    const storedVisits = () =>
      readColumn<number>(server.databaseFile, `SELECT visits FROM urls WHERE code = '${code}'`)[0];
    const waitStarted = Date.now();
    while (storedVisits() !== 1 && Date.now() - waitStarted < 4000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(storedVisits()).toBe(1);
    await page.goto(manageUrl);
    expect(await page.locator('.stats dd').first().innerText()).toBe('1');

    // Delete, with confirmation.
    await page.click('a[href$="/delete"]');
    expect(await page.locator('h1').innerText()).toBe('Delete this link?');
    await submitAndFollow(page, 'button.button--danger', page.url());
    expect(await page.locator('h1').innerText()).toBe('The link is deleted');

    // The short link now answers 410, and says why.
    const gone = await page.goto(shortUrl);
    expect(gone?.status()).toBe(410);
    expect(await page.locator('h1').innerText()).toBe('This link was deleted');
    expect((await page.goto(manageUrl))?.status()).toBe(404);
    expect(problems).toEqual([]);
    console.log(`management flow: ${Date.now() - started} ms`);
  });

  it('when a disabled link is enabled again, then a new tab follows it instead of showing the 410 from the cache', async () => {
    const started = Date.now();
    const tabs = await browser.newContext({ ...DESKTOP_LIGHT, baseURL: server.baseUrl });
    const problems = watchForProblems(tabs);
    try {
      const owner = await tabs.newPage();
      await owner.goto('/');
      await owner.fill('#url', 'https://example.com/comes-back');
      await submitAndFollow(owner, 'button[type=submit]', owner.url());
      const shortUrl = await owner.inputValue('#short-url');
      const manageUrl = await owner.inputValue('#manage-url');

      await submitAndFollow(owner, 'form[action$="/disable"] button', owner.url());
      const visitor = await tabs.newPage();
      const gone = await visitor.goto(shortUrl);
      expect(gone?.status()).toBe(410);
      expect(gone?.headers()['cache-control']).toBe('no-store');
      await visitor.close();

      await owner.goto(manageUrl);
      await submitAndFollow(owner, 'form[action$="/enable"] button', owner.url());
      expect(await owner.locator('.notice--success').innerText()).toContain('enabled again');

      // A new tab, as a person would open the link again: the browser must ask snip anew.
      const again = await tabs.newPage();
      await serveTargetSite(tabs, again);
      const followed = await again.goto(shortUrl);
      expect(again.url()).toBe('https://example.com/comes-back');
      expect((await followed?.request().redirectedFrom()?.response())?.status()).toBe(302);
      expect(problems).toEqual([]);
    } finally {
      await tabs.close();
    }
    console.log(`re-enable flow: ${Date.now() - started} ms`);
  });
});
