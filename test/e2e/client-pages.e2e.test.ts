import fs from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
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
 * Where snip is used from other tools, in Chromium: the form opened by the bookmarklet
 * (`/?url=…`) and by a phone's Share menu (the manifest's share target, `/?title=…&text=…&url=`),
 * with and without JavaScript; the manifest as Chromium itself reads it; and the API keys page
 * with the ShareX file and the iOS Shortcuts steps. axe-core finds no violation in either look.
 */

const PASSWORD = 'correct horse battery staple';
const SHARED = 'https://example.com/2026/11/an-article?ref=feed&x=1';

let server: SnipServer;
let browser: Browser;

const LOOKS: { name: string; options: BrowserContextOptions }[] = [
  { name: 'desktop-light', options: DESKTOP_LIGHT },
  { name: 'mobile-dark', options: MOBILE_DARK },
];

/** Where the page's bookmarklet goes when it is clicked on a page at `pageUrl`. */
async function bookmarkletTarget(page: Page, pageUrl: string): Promise<string> {
  const href = await page.getAttribute('a.bookmarklet', 'href');
  expect(href).toMatch(/^javascript:/);
  // A javascript: URL runs percent-decoded; here it runs on a stand-in for the other page.
  const code = decodeURIComponent(href!.slice('javascript:'.length));
  const location = { href: pageUrl };
  new Function('location', code)(location);
  return location.href;
}

describeInBrowser('snip from other tools, in Chromium', () => {
  beforeAll(async () => {
    server = await startSnip({ ADMIN_PASSWORD: PASSWORD });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const look of LOOKS) {
    it(`when the bookmarklet and the Share menu open the form (${look.name}), then the URL is filled in, nothing is made until Shorten, and axe finds nothing`, async () => {
      const context = await browser.newContext({ ...look.options, baseURL: server.baseUrl });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        await page.goto('/');
        const opened = await bookmarkletTarget(page, SHARED);
        expect(opened).toBe(`${server.baseUrl}/?url=${encodeURIComponent(SHARED)}`);

        await page.goto(opened);
        expect(await page.inputValue('#url')).toBe(SHARED);
        await expectNoViolations(page, true);
        // The page did not make a link: "Your links" is not there.
        expect(await page.locator('.your-links').count()).toBe(0);

        // Android's share: the title, then the address, in `text`; `url` left empty.
        const share = new URLSearchParams({
          title: 'An article',
          text: `An article ${SHARED}`,
          url: '',
        });
        await page.goto(`/?${share}`);
        expect(await page.inputValue('#url')).toBe(SHARED);
        await expectNoViolations(page, true);
        expect(await page.locator('.your-links').count()).toBe(0);

        await submitAndFollow(page, 'form[action="/shorten"] button[type=submit]');
        expect(page.url()).toMatch(/\/manage\/[A-Za-z0-9_-]{32}\?created=1$/);
        expect(await page.locator('a.target').innerText()).toBe(SHARED);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('when JavaScript is off, then the share target still fills the form and Shorten makes the link', async () => {
    const context = await browser.newContext({
      ...MOBILE_DARK,
      javaScriptEnabled: false,
      baseURL: server.baseUrl,
    });
    const problems = watchForProblems(context);
    try {
      const page = await context.newPage();
      await page.goto(`/?${new URLSearchParams({ title: 'T', text: `T ${SHARED}` })}`);
      expect(await page.inputValue('#url')).toBe(SHARED);
      await submitAndFollow(page, 'form[action="/shorten"] button[type=submit]');
      expect(page.url()).toMatch(/\/manage\/[A-Za-z0-9_-]{32}\?created=1$/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when Chromium reads the manifest the page links, then it parses without an error and declares the share target', async () => {
    const context = await browser.newContext({ ...DESKTOP_LIGHT, baseURL: server.baseUrl });
    const problems = watchForProblems(context);
    try {
      const page = await context.newPage();
      await page.goto('/privacy');
      const linked = await page.getAttribute('link[rel="manifest"]', 'href');
      expect(linked).toBe('/manifest.webmanifest');
      // Chromium's own manifest parser, as installing the app uses it.
      const cdp = await context.newCDPSession(page);
      const read = (await cdp.send('Page.getAppManifest')) as {
        url: string;
        errors: { message: string }[];
        data?: string;
      };
      expect(read.url).toBe(`${server.baseUrl}/manifest.webmanifest`);
      expect(read.errors).toEqual([]);
      const manifest = JSON.parse(read.data!) as {
        share_target: { action: string; method: string; params: Record<string, string> };
        icons: { src: string }[];
      };
      expect(manifest.share_target).toEqual({
        action: '/',
        method: 'GET',
        enctype: 'application/x-www-form-urlencoded',
        params: { title: 'title', text: 'text', url: 'url' },
      });
      // Every icon loads under the page's CSP.
      for (const icon of manifest.icons) {
        const res = await page.request.get(icon.src);
        expect(res.status()).toBe(200);
      }
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  for (const look of LOOKS) {
    it(`when the admin opens the API keys page (${look.name}), then it offers the ShareX file and the iOS steps, and axe finds nothing`, async () => {
      const context = await browser.newContext({
        ...look.options,
        baseURL: server.baseUrl,
        acceptDownloads: true,
      });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        await page.goto('/admin/keys');
        await page.fill('#password', PASSWORD);
        await page.keyboard.press('Enter');
        await page.waitForURL((url) => url.pathname === '/admin');
        await page.goto('/admin/keys');
        await expectNoViolations(page, true);
        expect(await page.locator('#tools-title').innerText()).toBe('Use a key in other tools');
        expect(await page.inputValue('#tools-create-url')).toBe(`${server.baseUrl}/api/v1/links`);
        expect(await page.locator('h3 + ol > li').count()).toBe(4);

        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click('a[href="/admin/keys/snip.sxcu"]'),
        ]);
        expect(download.suggestedFilename()).toBe('127.0.0.1.sxcu');
        const file = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as Record<
          string,
          unknown
        >;
        expect(file.DestinationType).toBe('URLShortener');
        expect(file.RequestURL).toBe(`${server.baseUrl}/api/v1/links`);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
